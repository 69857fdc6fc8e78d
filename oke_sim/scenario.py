"""Load and validate a scenario: the YAML data that says what to rehearse.

Errors name the file, line, field (JSON pointer) and rule, because scenario files are written by
people and a traceback would not tell them what to fix.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker

from oke_core.policy import PRESETS, policy_source
from oke_sim.faults import FAULT_ORDER

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULTS_FILE = PACKAGE_DIR / "defaults.yaml"
SCHEMA_FILE = PACKAGE_DIR / "scenario.schema.yaml"
SCENARIO_DIR = PACKAGE_DIR.parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario cannot be used; `problems` lists every finding as file:line: pointer: rule."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Scenario:
    name: str
    path: Path | None
    params: dict[str, Any]
    lines: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return int(self.params["seed"])

    @property
    def policy_file(self) -> Path | None:
        """The institution's own policy file (a name relative to the scenario file); None for a preset."""
        name = str(self.params["policy"])
        if name in PRESETS:
            return None
        return Path(policy_source(name, self.path.parent if self.path else Path(".")))


def _pointer(parts: list[str]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _to_data(node: yaml.Node, parts: list[str], lines: dict[str, int], loader: yaml.SafeLoader) -> Any:
    """Turn a composed YAML node into JSON-like data, recording the line of every pointer."""
    lines[_pointer(parts)] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_to_data(key_node, [*parts, "~key"], {}, loader))
            out[key] = _to_data(value_node, [*parts, key], lines, loader)
            lines[_pointer([*parts, key])] = key_node.start_mark.line + 1  # "field:" is where people look
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_data(item, [*parts, str(i)], lines, loader) for i, item in enumerate(node.value)]
    value = loader.construct_object(node, deep=True)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _read_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read: {exc.strerror}"]) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ScenarioError([f"{where}: /: yaml-syntax: {getattr(exc, 'problem', None) or exc}"]) from None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if node is None:
        return {}, lines
    return _to_data(node, [], lines, loader), lines


@cache
def _schema() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))


def _without_required(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_required(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_without_required(v) for v in schema]
    return schema


def _validate(data: Any, schema: dict[str, Any], where: dict[str, tuple[str, int]], fallback: str) -> None:
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    problems = []
    for err in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        parts = [str(p) for p in err.absolute_path]
        if (
            err.validator == "additionalProperties"
            and err.validator_value is False
            and isinstance(err.instance, dict)
        ):
            allowed = sorted(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                pointer = _pointer([*parts, extra])
                problems.append(
                    f"{_locate(where, pointer, fallback)}: {pointer}: unknown-field: {extra!r} is not a "
                    f"parameter here (allowed: {', '.join(allowed)})"
                )
            continue
        pointer = _pointer(parts)
        problems.append(
            f"{_locate(where, pointer, fallback)}: {pointer or '/'}: {err.validator}: {err.message}"
        )
    if problems:
        raise ScenarioError(problems)


def _locate(where: dict[str, tuple[str, int]], pointer: str, fallback: str) -> str:
    probe = pointer
    while True:
        if probe in where:
            file, line = where[probe]
            return f"{file}:{line}"
        if not probe:
            return fallback
        probe = probe.rsplit("/", 1)[0]


def _merge(base: Any, over: Any) -> Any:
    """Mappings merge key by key, except distributions ({value: probability}), which replace."""
    if isinstance(base, dict) and isinstance(over, dict) and not all(k.isdigit() for k in [*base, *over]):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(over)


def resolve_path(name_or_path: str | Path) -> Path:
    """A scenario is a name in scenarios/ or a path to a YAML file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    path = SCENARIO_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
        raise ScenarioError([f"{name_or_path}: unknown scenario (known: {known})"])
    return path


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load defaults + scenario file, validate both, and check the cross-field rules."""
    path = resolve_path(name_or_path)
    defaults, default_lines = _read_yaml(DEFAULTS_FILE)
    data, data_lines = _read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}:1: /: type: a scenario is a mapping of parameters"])
    where = {p: (str(DEFAULTS_FILE), n) for p, n in default_lines.items()}
    own = {p: (str(path), n) for p, n in data_lines.items()}
    _validate(data, _without_required(_schema()), own, f"{path}:1")
    where.update({p: v for p, v in own.items() if p})
    merged = _merge(defaults, data)
    merged.setdefault("name", path.stem)
    _validate(merged, _schema(), where, f"{path}:1")
    problems = []
    for ptr, rule in _cross_check(merged):
        own_ptr = ptr
        while own_ptr and own_ptr not in own:  # a default clashes with the user's value: point at the user's
            own_ptr = own_ptr.rsplit("/", 1)[0]
        shown = ptr if own_ptr == ptr or not own_ptr else f"{own_ptr} (with the default {ptr})"
        problems.append(f"{_locate(where, own_ptr or ptr, f'{path}:1')}: {shown}: {rule}")
    policy = str(merged["policy"])
    if policy not in PRESETS and not Path(policy_source(policy, path.parent)).is_file():
        problems.append(
            f"{_locate(where, '/policy', f'{path}:1')}: /policy: policy-file: {policy!r} is not a preset "
            f"({', '.join(PRESETS)}) and there is no file {policy_source(policy, path.parent)}"
        )
    if problems:
        raise ScenarioError(problems)
    return Scenario(name=str(merged["name"]), path=path, params=merged, lines=where)


def _cross_check(p: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules a JSON Schema cannot express: sums, references, date order."""
    out: list[tuple[str, str]] = []

    def sums_to_one(ptr: str, values: list[float]) -> None:
        if abs(sum(values) - 1.0) > 1e-6:
            out.append((ptr, f"sum-to-one: probabilities add up to {sum(values):g}, not 1"))

    def ordered_range(ptr: str, pair: list[Any]) -> None:
        if pair[0] > pair[1]:
            out.append((ptr, f"range-order: minimum {pair[0]} is above maximum {pair[1]}"))

    att = p["attendance"]
    sums_to_one("/attendance", [att[k] for k in ("present", "notPresent", "notStarted", "notFinished")])
    sums_to_one("/institution/level_shares", list(p["institution"]["level_shares"].values()))
    sums_to_one("/marking/on_time_working_days", list(p["marking"]["on_time_working_days"].values()))
    deadline = p["marking"]["deadline_working_days"]
    for key in p["marking"]["on_time_working_days"]:
        if int(key) > deadline:
            out.append(
                (
                    f"/marking/on_time_working_days/{key}",
                    f"within-deadline: {key} working days is beyond the deadline of {deadline}",
                )
            )
    for sid, system in p["test_systems"].items():
        sums_to_one(
            f"/test_systems/{sid}/export_delay_working_days",
            list(system["export_delay_working_days"].values()),
        )
        ordered_range(
            f"/test_systems/{sid}/publication_delay_working_days", system["publication_delay_working_days"]
        )
    for section, keys in {
        "marking": ["late_extra_working_days", "supplier_working_days"],
        "cut_scores": ["release_delay_working_days", "late_extra_working_days"],
        "session_reports": ["delay_hours"],
        "complaints": ["handling_working_days", "correction_delay_working_days", "correction_points"],
        "corrections": ["delay_working_days", "points"],
        "appeals": ["handling_working_days", "correction_points"],
        "early_establishment": ["delay_working_days"],
        "faults": [
            "repair_delay_working_days",
            "late_extra_working_days",
            "duplicate_delay_minutes",
            "out_of_order_delay_minutes",
        ],
        "scores": ["cut_fraction"],
    }.items():
        for key in keys:
            ordered_range(f"/{section}/{key}", p[section][key])
    rejecting = sum(p["faults"][k] for k in FAULT_ORDER)
    if rejecting > 1:
        out.append(
            (
                "/faults",
                f"sum-at-most-one: fault rates add up to {rejecting:g}; at most one fault per message",
            )
        )
    if p["marking"]["hours"][0] >= p["marking"]["hours"][1]:
        out.append(("/marking/hours", "range-order: the working day must start before it ends"))
    cal = p["calendar"]
    if cal["year_start"] >= cal["year_end"]:
        out.append(("/calendar/year_end", "date-order: year_end must be after year_start"))
    names = set()
    for i, period in enumerate(cal["periods"]):
        ptr = f"/calendar/periods/{i}"
        if period["name"] in names:
            out.append((f"{ptr}/name", f"unique: period {period['name']} appears twice"))
        names.add(period["name"])
        if period["exam_start"] > period["exam_end"]:
            out.append((f"{ptr}/exam_end", "date-order: exam_end is before exam_start"))
        if not cal["year_start"] <= period["exam_start"] <= cal["year_end"]:
            out.append((f"{ptr}/exam_start", "in-year: the exam window must start inside the school year"))
        if i and period["exam_start"] <= cal["periods"][i - 1]["exam_end"]:
            out.append((f"{ptr}/exam_start", "date-order: periods must be in order and not overlap"))
    codes = set()
    for i, comp in enumerate(p["components"]):
        ptr = f"/components/{i}"
        if comp["code"] in codes:
            out.append((f"{ptr}/code", f"unique: component code {comp['code']} appears twice"))
        codes.add(comp["code"])
        if comp["test_system"] not in p["test_systems"]:
            out.append(
                (f"{ptr}/test_system", f"reference: no test system {comp['test_system']!r} in /test_systems")
            )
        for j, period in enumerate(comp["periods"]):
            if period not in names:
                out.append((f"{ptr}/periods/{j}", f"reference: no period {period!r} in /calendar/periods"))
        ordered_range(f"{ptr}/max_raw_score", comp["max_raw_score"])
        if comp["max_raw_score"][0] < 2:
            out.append((f"{ptr}/max_raw_score", "minimum: a marking scheme needs at least 2 points"))
    return out


def list_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
