"""The value objects of the contract: a finding, a verdict, and the caller's exam context."""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(slots=True)
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


@dataclass(frozen=True)
class RuleContext:
    """What the receiver knows about the exam behind a message (from planning or `--context FILE`)."""

    result_value_type: str | None = None
    max_raw_score: int | None = None
    assessor_required: bool | None = None
