"""The value objects of the contract: a finding, a verdict, and the caller's exam context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One finding about one message; immutable so verdicts can be cached and shared."""

    pointer: str
    code: str
    message: str
    severity: str = ERROR
    explanation: str = ""
    line: int | None = None
    column: int | None = None

    def sort_key(self) -> tuple[str, str, str]:
        return (self.pointer, self.code, self.message)

    def to_dict(self) -> dict[str, object]:
        """The JSON form used by `oke validate --format json` (line/column only for json-syntax)."""
        out: dict[str, object] = {"pointer": self.pointer, "code": self.code, "message": self.message}
        if self.line is not None:
            out["line"] = self.line
            out["column"] = self.column
        return out


@dataclass(slots=True, eq=False)
class Verdict:
    """What the contract says about one message: errors make it invalid, warnings do not."""

    flow: int | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def problems(self) -> list[Problem]:
        return [*self.errors, *self.warnings]

    def __eq__(self, other: object) -> bool:
        # isinstance, not the class: a shared clean verdict equals a freshly built one.
        if not isinstance(other, Verdict):
            return NotImplemented
        return (self.flow, self.errors, self.warnings) == (other.flow, other.errors, other.warnings)

    __hash__ = None  # type: ignore[assignment]


class _NoProblems(list):
    """An empty problem list that refuses changes, so one instance can sit in every clean verdict."""

    __slots__ = ()

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("a shared clean verdict cannot be changed; build a new Verdict instead")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse  # type: ignore[assignment]
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse  # type: ignore[assignment]


class _CleanVerdict(Verdict):
    """A verdict without findings, shared by every clean message of a flow (no allocation per message)."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("a shared clean verdict cannot be changed; build a new Verdict instead")

    def __repr__(self) -> str:
        return f"Verdict(flow={self.flow!r}, errors=[], warnings=[])"

    def __copy__(self) -> Verdict:
        return self

    def __deepcopy__(self, memo: dict) -> Verdict:
        return self

    def __reduce__(self) -> tuple:
        return (Verdict, (self.flow, [], []))


def _clean(flow: int | None) -> Verdict:
    verdict = object.__new__(_CleanVerdict)
    for name, value in (("flow", flow), ("errors", _NoProblems()), ("warnings", _NoProblems())):
        object.__setattr__(verdict, name, value)
    return verdict


CLEAN: dict[int | None, Verdict] = {flow: _clean(flow) for flow in (3, 4, 5, None)}


@dataclass(frozen=True)
class RuleContext:
    """What the receiver knows about the exam behind a message (from planning or `--context FILE`)."""

    result_value_type: str | None = None
    max_raw_score: int | None = None
    assessor_required: bool | None = None
