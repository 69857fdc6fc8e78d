"""Institution policy (termijnen, vaststellingsregel): YAML data, validated on load."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from oke_core.dataerrors import DataError, pointer_of, yaml_duplicate_key, yaml_line

POLICY_DIR = Path(__file__).resolve().parents[1] / "scenarios" / "policies"
PRESETS = ("beoordelen", "eduarte")
#: Flow 4 requires ``irregularities``; these texts (case-insensitive, final full stop ignored) mean "none".
DEFAULT_NO_IRREGULARITY = (
    "Geen bijzonderheden",
    "Geen onregelmatigheden",
    "Geen",
    "Geen opmerkingen",
    "n.v.t",
    "nvt",
    "-",
    "None",
    "No irregularities",
)


@dataclass(frozen=True)
class Policy:
    """The parameters the lifecycle needs; see docs/core.md for the meaning of each."""

    name: str
    description: str
    marking_working_days: int
    import_working_days: int
    complaint_window_working_days: int | None
    establishment_rule: str  # "after_cut_score" | "fixed_working_days_after_sitting"
    establishment_working_days: int | None
    establishment_role: str
    appeal_window_working_days: int | None
    notify_students: bool
    notification_template: str | None
    exam_office_log_check: str
    correction_after_definitive: str  # "reopen" | "hold"
    complaint_upheld_restarts_window: bool
    exceptions_block_establishment: bool
    variant2_requires_final: bool
    no_irregularity_texts: tuple[str, ...] = DEFAULT_NO_IRREGULARITY

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@cache
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((POLICY_DIR / "policy.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def policy_source(name: str, folder: Path | str) -> str | Path:
    """Where the policy a planning or rehearsal names is read from: a preset by name, any other
    name as a file relative to ``folder`` (the planning folder that holds it)."""
    if name in PRESETS:
        return name
    path = Path(name)
    return path if path.is_absolute() else Path(folder) / path


def load_policy(source: str | Path) -> Policy:
    """A preset name (``beoordelen``, ``eduarte``) or a path to a policy YAML file."""
    path = Path(source)
    if isinstance(source, str) and source in PRESETS:
        path = POLICY_DIR / f"{source}.yaml"
    if not path.is_file():
        raise DataError(
            path,
            None,
            "",
            "policy.not-found",
            f"no policy file or preset named {str(source)!r} (presets: {', '.join(PRESETS)})",
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(path, None, "", "policy.unreadable", exc.strerror or str(exc)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            path,
            line,
            "",
            "encoding.utf-8",
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
        ) from None
    return parse_policy(text, path)


def parse_policy(text: str, path: Path | str = "<policy>") -> Policy:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(
            path, mark.line + 1 if mark else None, "", "yaml-syntax", str(exc).splitlines()[0]
        ) from None
    duplicate = yaml_duplicate_key(node, path)
    if duplicate is not None:
        raise duplicate
    errors = sorted(
        _validator().iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator)
    )
    if errors:
        err = errors[0]
        loc = list(err.absolute_path)
        raise DataError(path, yaml_line(node, loc), pointer_of(loc), f"schema.{err.validator}", err.message)
    est = data["establishment"]
    return Policy(
        name=data["name"],
        description=data.get("description", ""),
        marking_working_days=data["marking_working_days"],
        import_working_days=data["import_working_days"],
        complaint_window_working_days=data["complaint_window_working_days"],
        establishment_rule=est["rule"],
        establishment_working_days=est.get("working_days"),
        establishment_role=est.get("role", "examenadministratie"),
        appeal_window_working_days=data["appeal_window_working_days"],
        notify_students=data["notify_students"],
        notification_template=data.get("notification_template"),
        exam_office_log_check=data.get("exam_office_log_check", "daily"),
        correction_after_definitive=data.get("correction_after_definitive", "reopen"),
        complaint_upheld_restarts_window=data.get("complaint_upheld_restarts_window", True),
        exceptions_block_establishment=data.get("exceptions_block_establishment", False),
        variant2_requires_final=data.get("variant2_requires_final", True),
        no_irregularity_texts=tuple(data.get("no_irregularity_texts", DEFAULT_NO_IRREGULARITY)),
    )
