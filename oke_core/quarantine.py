"""Quarantine: why a message cannot be applied (reason codes, problems) and the target checks.

A message that fails one of these checks is kept verbatim with its reason and problems, never
dropped, so it can be reprocessed after repair (e.g. when the missing planning arrives).
"""

from __future__ import annotations

from typing import Any

from oke_core.contract import Problem
from oke_core.planning import Association

NL = "nl-test-admin"
QUARANTINE_REASONS = (
    "invalid",
    "json-syntax",
    "unknown-association",
    "wrong-student",
    "wrong-component",
    "unknown-offering",
)


class Quarantined(Exception):
    """Raised inside ingest when a message must go to quarantine; carries the reason code."""

    def __init__(self, reason: str, problems: list[Problem]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problems = problems


def problem(pointer: str, code: str, message: str) -> Problem:
    return Problem(pointer=pointer, code=code, message=message)


def parse_path(path: Any) -> tuple[str | None, str | None]:
    """``/associations/{id}`` -> ("associations", id); ``/offerings/{id}`` likewise; else (None, None)."""
    if not isinstance(path, str):
        return None, None
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if len(parts) >= 2 and parts[-2] in ("associations", "offerings"):
        return parts[-2], parts[-1]
    return None, None


def nl_consumer(obj: Any) -> dict[str, Any] | None:
    """The ``nl-test-admin`` consumer block of a result or association, if any."""
    consumers = obj.get("consumers") if isinstance(obj, dict) else None
    if isinstance(consumers, list):
        for item in consumers:
            if isinstance(item, dict) and item.get("consumerKey") == NL:
                return item
    return None


def ref_id(value: Any, key: str) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get(key), str):
        return value[key]
    return None


def bad_path(path: Any) -> Quarantined:
    return Quarantined(
        "invalid",
        [problem("", "envelope.path", f"path {path!r} is not /associations/{{id}} or /offerings/{{id}}")],
    )


def unknown_offering(target: str | None) -> Quarantined:
    return Quarantined(
        "unknown-offering", [problem("", "unknown-offering", f"offering {target} is not in the planning")]
    )


def unknown_association(target: str | None) -> Quarantined:
    return Quarantined(
        "unknown-association",
        [problem("", "unknown-association", f"association {target} is not in the planning")],
    )


def cross_check(body: dict[str, Any], assoc: Association) -> None:
    """INTERFACES.md section 10: ``person``/``offering`` in the body must match the deelname."""
    person = body.get("person")
    if person is not None:
        person = ref_id(person, "personId")
        if person is not None and person != assoc.student_id:
            raise Quarantined(
                "wrong-student",
                [
                    problem(
                        "/person",
                        "wrong-student",
                        f"person {person} is not the student of association {assoc.association_id}",
                    )
                ],
            )
    offering = body.get("offering")
    if offering is not None:
        offering = ref_id(offering, "offeringId")
        if offering is not None and offering != assoc.offering_id:
            raise Quarantined(
                "wrong-component",
                [
                    problem(
                        "/offering",
                        "wrong-component",
                        f"offering {offering} is not the zitting of association {assoc.association_id}",
                    )
                ],
            )
