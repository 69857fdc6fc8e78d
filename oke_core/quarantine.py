"""Quarantine: why a message cannot be applied (reason codes, problems) and the target checks.

A message that fails one of these checks is kept verbatim with its reason and problems, never
dropped, so it can be reprocessed after repair (e.g. when the missing planning arrives).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import orjson

from oke_core.contract import Problem
from oke_core.nul import NUL, storable
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


#: RFC 3339 date-time with a time zone (``Z`` or an offset), as INTERFACES.md section 1 asks.
RFC3339 = re.compile(
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)
_METHODS = ("PATCH", "PUT")
_FLOWS = (None, 3, 4, 5)


def is_moment(text: Any) -> bool:
    """An RFC 3339 date-time with a time zone that exists (no 30 February)."""
    if text.__class__ is not str or not RFC3339.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


#: Every valid ``:MM:SSZ`` ending of a whole-second UTC stamp: with the date and hour already known
#: to be valid (ingest caches them per hour), one set lookup validates the common stamp.
UTC_TAILS = frozenset(f":{m:02d}:{s:02d}Z" for m in range(60) for s in range(60))


#: How a NUL character (U+0000) is stored: PostgreSQL text cannot hold it (SQLite can), so KRS
#: keeps the six characters of its JSON escape instead, on every backend alike.
_NUL_FIELDS = ("message_id", "method", "path")


def without_nul(env: dict[str, Any]) -> tuple[dict[str, Any], Problem]:
    """The envelope with NUL characters in its id, method and path escaped, and the problem that
    quarantines it (a message id that cannot be stored cannot be recognised again either)."""
    fixed = dict(env)
    found = []
    for key in _NUL_FIELDS:
        value = env.get(key)
        if value.__class__ is str and NUL in value:
            fixed[key] = storable(value)
            found.append(key)
    return fixed, _envelope(f"/{found[0]}", f"{found[0]} contains a NUL character (U+0000)")


def envelope_problem(env: dict[str, Any], *, stamps: bool = True) -> Problem | None:
    """What is wrong with the envelope fields ingest relies on (INTERFACES.md section 1), if anything.

    Checked before the body, so that a broken field quarantines its own message (reason
    ``invalid``, code ``envelope-invalid``, the field named as pointer into the envelope) instead
    of stopping a whole file. ``stamps=False`` leaves ``sent_at``/``received_at`` to the caller
    (ingest has checked the one it uses; a reprocessed message keeps its first time).
    """
    mid = env.get("message_id")
    method = env.get("method")
    if (  # the common envelope, in as few steps as possible: this runs for every message
        not stamps
        and mid.__class__ is str
        and mid
        and (method == "PATCH" or method == "PUT")
        and env.get("path").__class__ is str
        and env.get("flow") is None
        and "body" in env
        and "body_text" not in env
    ):
        return None
    not_utf8 = env.get("not_utf8")
    if isinstance(not_utf8, dict):  # a .jsonl line that is not UTF-8 text (replay.wrapped_line)
        byte = not_utf8.get("byte")
        return Problem(
            pointer="",
            code="json-syntax",
            message=f"the line is not UTF-8 text ({not_utf8.get('reason')} at byte {byte}); it is kept "
            "with each byte that is not UTF-8 written as \\xNN",
            explanation="A message file must be UTF-8 (a file saved as Windows-1252 or Latin-1 is not): "
            "save it as UTF-8 and send it again.",
            line=1,
            column=byte if isinstance(byte, int) else 1,
        )
    if mid.__class__ is not str or not mid:
        return _envelope("/message_id", f"message_id {mid!r} is not a non-empty string")
    if method not in _METHODS and not (method.__class__ is str and method.upper() in _METHODS):
        return _envelope("/method", f"method {method!r} is not PATCH or PUT")
    path = env.get("path")
    if path.__class__ is not str:
        return _envelope("/path", f"path {path!r} is not a string")
    flow = env.get("flow")
    if flow not in _FLOWS or flow is True or flow is False:
        return _envelope("/flow", f"flow {flow!r} is not 3, 4 or 5")
    if "body" in env:
        if "body_text" in env:
            return _envelope("/body_text", "the envelope has both body and body_text")
    elif "body_text" not in env:
        return _envelope("/body", "the envelope has neither body nor body_text")
    elif env.get("body_text").__class__ is not str:
        return _envelope("/body_text", "body_text is not a string")
    if stamps:
        for key in ("sent_at", "received_at"):
            if key not in env:
                if key == "sent_at":
                    return _envelope("/sent_at", "sent_at is missing")
            elif not is_moment(env.get(key)):
                return _envelope(
                    f"/{key}",
                    f"{key} {env.get(key)!r} is not an RFC 3339 date-time with a time zone "
                    "(e.g. 2026-09-14T10:02:03Z)",
                )
    return None


def unusable_time(stamp: Any) -> Problem:
    """A receive time given by the caller (not the envelope) that is not a usable date-time."""
    return _envelope("/received_at", f"received_at {stamp!r} is not a usable RFC 3339 date-time")


def time_outside_year(key: str, value: str, day: date, institution: dict[str, Any]) -> Problem:
    """A message's own time far outside the planning's school year (see ``Planning.time_window``)."""
    year = f"{institution.get('year_start') or '...'} to {institution.get('year_end') or '...'}"
    return Problem(
        pointer=f"/{key}",
        code="envelope-invalid",
        message=f"{key} {value!r} falls on {day}, more than a year outside the planning's school "
        f"year ({year})",
        explanation="The time of a message in a file is the KRS clock: taken as given, it would move "
        "the clock to that day and close every window (complaints, establishment, appeals) at once. "
        "Check the year, then send the message again with the right time.",
    )


def envelope_refusal(problems_json: str | None) -> Problem | None:
    """The envelope problem (``envelope-invalid``) a quarantined message was refused for, if any.

    Re-processing cannot repair it: the quarantine keeps the body, method and path, not the
    envelope's times, flow or original id, and no planning repair changes an envelope. So the
    message stays where it is until it is sent again with a right envelope (it used to be applied
    after any planning repair, at the time it was logged).
    """
    if not problems_json or "envelope-invalid" not in problems_json:
        return None
    for p in orjson.loads(problems_json):
        if p.get("code") == "envelope-invalid":
            return Problem(pointer=p["pointer"], code=p["code"], message=p["message"])
    return None


def _envelope(pointer: str, message: str) -> Problem:
    return Problem(
        pointer=pointer,
        code="envelope-invalid",
        message=message,
        explanation="The pointer is into the envelope (message_id, sent_at, method, path, flow, "
        "body or body_text; INTERFACES.md section 1), not into the body.",
    )


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
