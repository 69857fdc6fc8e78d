"""Planning context (students, components, zittingen, deelnames) as the simulator writes it.

Loaded once before ingest; every line is schema-checked (jsonschema-rs, fast) and every reference
is resolved, so a bad file stops with ``file:line: pointer: message [rule]``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson

from oke_core.calendar import WorkingDays, local_date, parse_datetime
from oke_core.contract.scores import RESULT_VALUE_TYPES
from oke_core.contract.sources import BOM, open_lines
from oke_core.dataerrors import DataError, pointer_of
from oke_core.nul import NUL_MESSAGE, nul_pointers

UUID = {"type": "string", "minLength": 1}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}"}
NULLABLE_UUID = {"type": ["string", "null"]}
#: How far before or after its school year a message's own time may lie, in days (a year: late
#: appeals and corrections fit; a mistyped year does not). See ``Planning.time_window``.
YEAR_MARGIN_DAYS = 366

SCHEMAS: dict[str, dict[str, Any]] = {
    "institution.json": {
        "type": "object",
        "required": ["institution_id", "name", "policy", "closure_days"],
        "properties": {
            "institution_id": UUID,
            "name": {"type": "string"},
            "brin": {"type": "string"},
            "policy": {"type": "string"},
            "closure_days": {"type": "array", "items": DATE},
            "colleges": {"type": "array"},
            "year_start": DATE,
            "year_end": DATE,
        },
    },
    "programmes.jsonl": {"type": "object", "required": ["crebo", "name"]},
    "students.jsonl": {
        "type": "object",
        "required": ["student_id", "student_number", "family_name"],
        "properties": {"student_id": UUID, "student_number": {"type": "string"}},
    },
    "assessors.jsonl": {
        "type": "object",
        "required": ["assessor_id", "assessor_code"],
        "properties": {"assessor_id": UUID, "assessor_code": {"type": "string"}},
    },
    "components.jsonl": {
        "type": "object",
        "required": ["component_id", "code", "name", "result_value_type", "variant", "cut_score", "versions"],
        "properties": {
            "component_id": UUID,
            "result_value_type": {"enum": list(RESULT_VALUE_TYPES)},
            "pass_from": {"type": ["string", "null"]},
            "variant": {"enum": [1, 2]},
            "cut_score": {"type": "boolean"},
            "assessor_required": {"type": "boolean"},
            "versions": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["exam_version_id", "code", "max_raw_score"],
                    "properties": {
                        "exam_version_id": UUID,
                        "code": {"type": "string"},
                        "max_raw_score": {"type": "integer", "minimum": 0},
                    },
                },
            },
        },
    },
    "offerings.jsonl": {
        "type": "object",
        "required": ["offering_id", "component_id", "exam_version_id", "start", "end"],
        "properties": {
            "offering_id": UUID,
            "component_id": UUID,
            "exam_version_id": UUID,
            "start": DATETIME,
            "end": DATETIME,
            "state": {"enum": ["active", "canceled"]},
        },
    },
    "associations.jsonl": {
        "type": "object",
        "required": ["association_id", "offering_id", "student_id", "attempt"],
        "properties": {
            "association_id": UUID,
            "offering_id": UUID,
            "student_id": UUID,
            "attempt": {"type": "integer", "minimum": 1},
            "original_association_id": NULLABLE_UUID,
            "state": {"enum": ["associated", "canceled", "finished"]},
        },
    },
}
_VALIDATORS = {name: jsonschema_rs.validator_for(schema) for name, schema in SCHEMAS.items()}


@dataclass(frozen=True, slots=True)
class ExamVersion:
    exam_version_id: str
    component_id: str
    code: str
    max_raw_score: int


@dataclass(frozen=True, slots=True)
class Component:
    component_id: str
    code: str
    name: str
    result_value_type: str
    pass_from: str | None
    variant: int
    supplier: str
    cut_score: bool
    assessor_required: bool
    college_code: str


@dataclass(frozen=True, slots=True)
class Offering:
    offering_id: str
    component_id: str
    exam_version_id: str
    name: str
    start: str
    end: str
    sitting_date: date
    end_date: date
    state: str
    period: str


@dataclass(frozen=True, slots=True)
class Association:
    association_id: str
    offering_id: str
    student_id: str
    attempt: int
    original_association_id: str | None
    state: str


@dataclass
class Planning:
    """Everything KRS knows before results arrive; lookups are plain dicts."""

    institution: dict[str, Any]
    programmes: list[dict[str, Any]] = field(default_factory=list)
    students: dict[str, dict[str, Any]] = field(default_factory=dict)
    assessors: dict[str, dict[str, Any]] = field(default_factory=dict)
    components: dict[str, Component] = field(default_factory=dict)
    exam_versions: dict[str, ExamVersion] = field(default_factory=dict)
    offerings: dict[str, Offering] = field(default_factory=dict)
    associations: dict[str, Association] = field(default_factory=dict)
    digest: str = ""
    source: str = field(default="", compare=False)  # the folder it was loaded from, for messages

    @property
    def closure_days(self) -> list[date]:
        return [date.fromisoformat(d) for d in self.institution.get("closure_days", [])]

    def calendar(self) -> WorkingDays:
        return WorkingDays(self.closure_days)

    def time_window(self) -> tuple[date | None, date | None]:
        """The days a message's own time may fall on: the school year, widened by
        ``YEAR_MARGIN_DAYS`` each side (None: no bound, as when the planning gives no year).

        Why: a file's ``sent_at`` is the KRS clock; a mistyped year (2062 for 2026) would move it
        decades ahead and close every window, establishing every result, at once.
        """
        start, end = self.institution.get("year_start"), self.institution.get("year_end")
        margin = timedelta(days=YEAR_MARGIN_DAYS)
        return (
            date.fromisoformat(start) - margin if isinstance(start, str) else None,
            date.fromisoformat(end) + margin if isinstance(end, str) else None,
        )

    @property
    def policy_name(self) -> str | None:
        return self.institution.get("policy")

    def policy_source(self) -> str | Path | None:
        """The institution's policy: a preset name, or a policy file in the planning folder
        (the simulator copies a scenario's own policy there as ``policy.yaml``)."""
        from oke_core.policy import policy_source

        name = self.policy_name
        return policy_source(name, self.source or ".") if name else None


def _check(name: str, path: Path, line: int, obj: Any) -> None:
    for err in _VALIDATORS[name].iter_errors(obj):
        rule = "schema." + str(err.schema_path[-1]) if err.schema_path else "schema"
        raise DataError(path, line, pointer_of(err.instance_path), rule, err.message)


def _jsonl(path: Path, name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    with open_lines(path) as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise DataError(path, lineno, "", "json-syntax", str(exc)) from None
            _check(name, path, lineno, obj)
            if b"\\u0000" in raw:  # JSON writes a NUL only as this escape
                _refuse_nul(path, lineno, obj)
            yield lineno, obj


def _refuse_nul(path: Path, line: int, obj: Any) -> None:
    """A planning text with a NUL would load on SQLite and fail on PostgreSQL: refused on both."""
    for pointer in nul_pointers(obj):
        raise DataError(path, line, pointer, "nul-character", NUL_MESSAGE)


def _ids(obj: dict[str, Any], key: str) -> Iterator[tuple[str, Any]]:
    """(pointer, value) of every ``key`` id in one planning row (exam versions sit in a list)."""
    if key == "exam_version_id":
        for i, version in enumerate(obj.get("versions", [])):
            yield f"/versions/{i}/exam_version_id", version.get("exam_version_id")
    else:
        yield f"/{key}", obj.get(key)


def first_line_of(path: Path, key: str, value: str) -> tuple[int, str] | None:
    """(line, pointer) of the first row of a planning file that gives ``key`` = ``value``.

    For error messages only (the file is read again): a good planning keeps no line numbers in
    memory. None when the file is not at hand or not one JSON object per line.
    """
    try:
        with open_lines(path) as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                hit = next((p for p, v in _ids(orjson.loads(raw), key) if v == value), None)
                if hit is not None:
                    return lineno, hit
    except (OSError, orjson.JSONDecodeError, AttributeError):
        return None
    return None


def _duplicate_id(path: Path, line: int, pointer: str, key: str, value: str) -> DataError:
    """An id given twice (a later row would silently win); names the line it was first given on.

    Only called on the error path: the file is read again to find the first occurrence, so a
    good planning keeps no line numbers in memory.
    """
    found = first_line_of(path, key, value)
    first = "an earlier line"
    if found is not None:
        first = f"line {found[0]}" + (f" ({found[1]})" if found[1] != pointer else "")
    return DataError(
        path,
        line,
        pointer,
        "duplicate-id",
        f"{key} {value} is already on {first}; each {key} must be given once",
    )


def _json_line(raw: bytes, value: Any) -> int | None:
    """1-based line of ``value`` in a JSON document, when it occurs there exactly once."""
    needle = orjson.dumps(value)
    if raw.count(needle) != 1:
        return None
    return raw[: raw.index(needle)].count(b"\n") + 1


def _check_dates(path: Path, raw: bytes, institution: dict[str, Any]) -> None:
    """The schema checks the YYYY-MM-DD shape; here the date must exist (no 2026-13-45)."""
    found = [(f"/closure_days/{i}", d) for i, d in enumerate(institution.get("closure_days", []))]
    found += [(f"/{key}", institution[key]) for key in ("year_start", "year_end") if key in institution]
    for pointer, value in found:
        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise DataError(
                path, _json_line(raw, value), pointer, "format.date", f"{value!r} is not a date: {exc}"
            ) from None


def _moment(path: Path, line: int, obj: dict[str, Any], key: str) -> date:
    """The Dutch calendar date of the offering's ``start`` or ``end`` (a date-time that exists)."""
    try:
        return local_date(parse_datetime(obj[key]))
    except (ValueError, OverflowError) as exc:
        raise DataError(
            path, line, f"/{key}", "format.date-time", f"{obj[key]!r} is not a date-time: {exc}"
        ) from None


def load_planning(directory: str | Path) -> Planning:
    """Load and cross-check ``planning/``; raises DataError on the first problem."""
    root = Path(directory)
    inst_path = root / "institution.json"
    if not inst_path.is_file():
        raise DataError(inst_path, None, "", "planning.missing-file", "institution.json not found")
    digest = hashlib.sha256()
    raw = inst_path.read_bytes().removeprefix(BOM)
    digest.update(raw)
    try:
        institution = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DataError(inst_path, None, "", "json-syntax", str(exc)) from None
    _check("institution.json", inst_path, 1, institution)
    if b"\\u0000" in raw:
        _refuse_nul(inst_path, 1, institution)
    _check_dates(inst_path, raw, institution)
    plan = Planning(institution=institution)

    def rows(name: str, required: bool = True) -> Iterator[tuple[Path, int, dict[str, Any]]]:
        path = root / name
        if not path.is_file():
            if required:
                raise DataError(path, None, "", "planning.missing-file", f"{name} not found")
            return
        digest.update(path.read_bytes())
        for lineno, obj in _jsonl(path, name):
            yield path, lineno, obj

    for _p, _n, obj in rows("programmes.jsonl", required=False):
        plan.programmes.append(obj)
    numbers: set[str] = set()  # a student's number finds their portal page and letters: one student each
    for path, lineno, obj in rows("students.jsonl"):
        if obj["student_id"] in plan.students:
            raise _duplicate_id(path, lineno, "/student_id", "student_id", obj["student_id"])
        if obj["student_number"] in numbers:
            raise _duplicate_id(path, lineno, "/student_number", "student_number", obj["student_number"])
        numbers.add(obj["student_number"])
        plan.students[obj["student_id"]] = obj
    for path, lineno, obj in rows("assessors.jsonl", required=False):
        if obj["assessor_id"] in plan.assessors:
            raise _duplicate_id(path, lineno, "/assessor_id", "assessor_id", obj["assessor_id"])
        plan.assessors[obj["assessor_id"]] = obj
    for path, lineno, obj in rows("components.jsonl"):
        cid = obj["component_id"]
        if cid in plan.components:
            raise _duplicate_id(path, lineno, "/component_id", "component_id", cid)
        plan.components[cid] = Component(
            cid,
            obj["code"],
            obj["name"],
            obj["result_value_type"],
            obj.get("pass_from"),
            obj["variant"],
            obj.get("supplier", "intern"),
            obj["cut_score"],
            obj.get("assessor_required", False),
            obj.get("college_code", ""),
        )
        for i, v in enumerate(obj["versions"]):
            if v["exam_version_id"] in plan.exam_versions:
                pointer = f"/versions/{i}/exam_version_id"
                raise _duplicate_id(path, lineno, pointer, "exam_version_id", v["exam_version_id"])
            plan.exam_versions[v["exam_version_id"]] = ExamVersion(
                v["exam_version_id"], cid, v["code"], v["max_raw_score"]
            )
    for path, lineno, obj in rows("offerings.jsonl"):
        if obj["offering_id"] in plan.offerings:
            raise _duplicate_id(path, lineno, "/offering_id", "offering_id", obj["offering_id"])
        if obj["component_id"] not in plan.components:
            raise DataError(
                path,
                lineno,
                "/component_id",
                "ref.unknown-component",
                f"component {obj['component_id']} is not in components.jsonl",
            )
        version = plan.exam_versions.get(obj["exam_version_id"])
        if version is None or version.component_id != obj["component_id"]:
            raise DataError(
                path,
                lineno,
                "/exam_version_id",
                "ref.unknown-exam-version",
                f"exam version {obj['exam_version_id']} is not a version of component {obj['component_id']}",
            )
        sitting_date, end_date = _moment(path, lineno, obj, "start"), _moment(path, lineno, obj, "end")
        plan.offerings[obj["offering_id"]] = Offering(
            obj["offering_id"],
            obj["component_id"],
            obj["exam_version_id"],
            obj.get("name", ""),
            obj["start"],
            obj["end"],
            sitting_date,
            end_date,
            obj.get("state", "active"),
            obj.get("period", ""),
        )
    originals: list[tuple[Path, int, str]] = []
    for path, lineno, obj in rows("associations.jsonl"):
        if obj["association_id"] in plan.associations:
            raise _duplicate_id(path, lineno, "/association_id", "association_id", obj["association_id"])
        if obj.get("original_association_id") is not None:
            originals.append((path, lineno, obj["original_association_id"]))
        if obj["offering_id"] not in plan.offerings:
            raise DataError(
                path,
                lineno,
                "/offering_id",
                "ref.unknown-offering",
                f"offering {obj['offering_id']} is not in offerings.jsonl",
            )
        if obj["student_id"] not in plan.students:
            raise DataError(
                path,
                lineno,
                "/student_id",
                "ref.unknown-student",
                f"student {obj['student_id']} is not in students.jsonl",
            )
        plan.associations[obj["association_id"]] = Association(
            obj["association_id"],
            obj["offering_id"],
            obj["student_id"],
            obj["attempt"],
            obj.get("original_association_id"),
            obj.get("state", "associated"),
        )
    for path, lineno, original in originals:  # a resit may come before its first attempt in the file
        if original not in plan.associations:
            raise DataError(
                path,
                lineno,
                "/original_association_id",
                "ref.unknown-association",
                f"association {original} is not in associations.jsonl",
            )
    plan.digest = digest.hexdigest()
    plan.source = str(root)
    return plan
