"""Turn jsonschema errors and rule findings into Problems with a plain explanation and a fix."""

from __future__ import annotations

import re

from jsonschema.exceptions import ValidationError

from oke_core.contract.model import ERROR, Problem
from oke_core.contract.rules import RULES

_INDEX = re.compile(r"^[0-9]+$")
_MAX_MESSAGE = 240

FORMAT_HINTS = {
    "date": "Write a date as YYYY-MM-DD, e.g. 2026-09-14.",
    "date-time": "Write a date-time with a timezone, e.g. 2026-09-14T10:00:00+02:00 or 2026-09-14T08:00:00Z; "
    "a bare date is not enough.",
    "uuid": "Send a UUID such as 6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f (hexadecimal, 8-4-4-4-12).",
}
JSON_TYPES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}
SYNTAX_HINT = (
    "The body must be one JSON object. Common slips in the published OKE examples: a missing comma between "
    "two fields, a trailing comma before } or ], a request line or comment inside the JSON, an empty body."
)


def escape_token(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_of(path: object) -> str:
    return "".join("/" + escape_token(p) for p in path)  # type: ignore[attr-defined]


def pattern_of(pointer: str) -> str:
    """`/result/consumers/0/x` -> `/result/consumers/*/x`, the key of the description map."""
    if not pointer:
        return ""
    return "/".join("*" if _INDEX.match(t) else t for t in pointer.split("/"))


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _types(value: object) -> str:
    names = value if isinstance(value, list) else [value]
    return " or ".join(JSON_TYPES.get(str(n), str(n)) for n in names)


def schema_problem(error: ValidationError, descriptions: dict[str, str]) -> Problem:
    """One jsonschema error -> Problem; a missing field points at its parent object (INTERFACES.md 8)."""
    keyword = str(error.validator)
    pointer = pointer_of(error.absolute_path)
    pattern = pattern_of(pointer)
    meaning = descriptions.get(pattern, "")
    message = error.message
    if keyword == "required":
        missing = next((p for p in error.validator_value if repr(p) in error.message), None)
        field = f"{pattern}/{missing}" if missing is not None else pattern
        meaning = descriptions.get(field, meaning)
        fix = f"Add '{missing}' to {pointer or 'the body'}."
    elif keyword == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value if v is not None)
        message = f"{error.instance!r} is not one of {allowed}"
        fix = f"Use one of {allowed} (exact spelling; case matters)."
    elif keyword == "const":
        fix = f"Use exactly {error.validator_value!r}."
    elif keyword == "type":
        fix = f"Send {_types(error.validator_value)} here."
    elif keyword == "format":
        fix = FORMAT_HINTS.get(str(error.validator_value), f"Use the {error.validator_value} format.")
    elif keyword == "minimum":
        fix = f"Send a value of at least {error.validator_value}."
    elif keyword == "maximum":
        fix = f"Send a value of at most {error.validator_value}."
    elif keyword == "contains":
        message = "no consumer block with consumerKey 'nl-test-admin'"
        fix = 'Add a block {"consumerKey": "nl-test-admin", ...} with the OKE fields to this list.'
    else:
        fix = "See the schema for the rule."
    explanation = f"{meaning} Fix: {fix}" if meaning else f"Fix: {fix}"
    return Problem(
        pointer=pointer,
        code=f"schema.{keyword}",
        message=_shorten(message),
        severity=ERROR,
        explanation=explanation,
    )


def explain_rule(problem: Problem, descriptions: dict[str, str]) -> Problem:
    """Add the field meaning, the fix and the spec section to a rule finding."""
    rule = RULES.get(problem.code)
    if rule is None:
        return problem
    meaning = descriptions.get(pattern_of(problem.pointer), "")
    text = (
        f"{meaning} Fix: {rule.fix} (source: {rule.source})"
        if meaning
        else f"Fix: {rule.fix} ({rule.source})"
    )
    return Problem(
        pointer=problem.pointer,
        code=problem.code,
        message=problem.message,
        severity=problem.severity,
        explanation=text.strip(),
        line=problem.line,
        column=problem.column,
    )
