"""Load the caller's exam context (`--context FILE`): ids of associations/offerings -> RuleContext."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from oke_core.contract.flows import association_id_from_path
from oke_core.contract.model import RuleContext
from oke_core.contract.scores import RESULT_VALUE_TYPES

DEFAULT_KEY = "*"
FIELDS = ("result_value_type", "max_raw_score", "assessor_required")


class ContextError(Exception):
    """The context file is unreadable or breaks its format; the message names file, line, pointer and rule."""


@dataclass
class ContextMap:
    """Exam context per association (or offering) id; key `*` applies to every other message."""

    by_id: dict[str, RuleContext] = field(default_factory=dict)

    def lookup(self, path: str | None, body: object) -> RuleContext | None:
        key = association_id_from_path(path)
        if key is None and isinstance(body, dict) and isinstance(body.get("associationId"), str):
            key = body["associationId"]
        if key is not None and key in self.by_id:
            return self.by_id[key]
        return self.by_id.get(DEFAULT_KEY)


def _lines(text: str) -> dict[str, int]:
    """Line numbers (1-based) of the top-level keys, for error messages."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def parse_context(text: str, name: str = "<context>") -> ContextMap:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise ContextError(f"{name}{where}: not valid YAML/JSON: {getattr(exc, 'problem', exc)}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContextError(
            f"{name}: the context must be a mapping of association/offering ids to exam context"
        )
    lines = _lines(text)
    out = ContextMap()
    for key, value in data.items():
        where = f"{name}:{lines.get(str(key), 1)}: /{key}"
        if not isinstance(value, dict):
            raise ContextError(f"{where}: must be a mapping with {', '.join(FIELDS)}")
        unknown = sorted(set(map(str, value)) - set(FIELDS))
        if unknown:
            raise ContextError(f"{where}/{unknown[0]}: unknown field; allowed: {', '.join(FIELDS)}")
        rvt = value.get("result_value_type")
        if rvt is not None and rvt not in RESULT_VALUE_TYPES:
            raise ContextError(
                f"{where}/result_value_type: {rvt!r} is not an OKE result value type "
                f"({', '.join(RESULT_VALUE_TYPES)})"
            )
        mrs = value.get("max_raw_score")
        if mrs is not None and (not isinstance(mrs, int) or isinstance(mrs, bool) or mrs < 0):
            raise ContextError(f"{where}/max_raw_score: must be a whole number of at least 0, not {mrs!r}")
        ar = value.get("assessor_required")
        if ar is not None and not isinstance(ar, bool):
            raise ContextError(f"{where}/assessor_required: must be true or false, not {ar!r}")
        out.by_id[str(key)] = RuleContext(result_value_type=rvt, max_raw_score=mrs, assessor_required=ar)
    return out


def load_context(path: Path) -> ContextMap:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContextError(f"{path}: cannot read: {exc}") from exc
    return parse_context(text, str(path))
