"""Result lifecycle: the states a person recognises, the allowed transitions, the establishment checks.

The Ingestor keeps facts on a ResultRecord (deliveries, cut score, cases, deadlines); ``decide``
turns facts + policy + the clock into the state the result should be in, and ``check_transition``
refuses any move the table below does not allow (the caller logs it as an error, no silent change).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum

from oke_core.policy import Policy


class Status(StrEnum):
    RECEIVED = "received"
    PROVISIONAL = "provisional"
    AWAITING_CUT_SCORE = "awaiting_cut_score"
    COMPLAINT_WINDOW = "complaint_window"
    COMPLAINT_OPEN = "complaint_open"
    EXCEPTION_OPEN = "exception_open"
    CORRECTED = "corrected"
    DEFINITIVE = "definitive"
    APPEAL_WINDOW = "appeal_window"
    APPEAL_OPEN = "appeal_open"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


#: Dutch labels for the portal, letters and reports.
LABELS_NL: dict[str, str] = {
    Status.RECEIVED: "ontvangen (aanwezigheid, nog geen resultaat)",
    Status.PROVISIONAL: "voorlopig",
    Status.AWAITING_CUT_SCORE: "voorlopig, wacht op cesuur",
    Status.COMPLAINT_WINDOW: "voorlopig, inzage- en klachttermijn loopt",
    Status.COMPLAINT_OPEN: "voorlopig, klacht in behandeling",
    Status.EXCEPTION_OPEN: "voorlopig, afwijking wacht op goedkeuring",
    Status.CORRECTED: "gecorrigeerd, opnieuw voorlopig",
    Status.DEFINITIVE: "definitief vastgesteld",
    Status.APPEAL_WINDOW: "definitief, beroepstermijn loopt",
    Status.APPEAL_OPEN: "definitief, beroep bij CBE in behandeling",
    Status.CLOSED: "definitief, afgesloten",
    Status.WITHDRAWN: "ingetrokken",
}

PENDING = frozenset(
    {
        Status.PROVISIONAL,
        Status.AWAITING_CUT_SCORE,
        Status.COMPLAINT_WINDOW,
        Status.COMPLAINT_OPEN,
        Status.EXCEPTION_OPEN,
        Status.CORRECTED,
    }
)
ESTABLISHED = frozenset({Status.DEFINITIVE, Status.APPEAL_WINDOW, Status.APPEAL_OPEN, Status.CLOSED})

_ALL_PENDING_AND_DEFINITIVE = PENDING | {Status.DEFINITIVE, Status.WITHDRAWN}
#: First registration goes straight to the provisional state its facts call for (one logged step);
#: never straight to definitive: a result is published as "voorlopig" first.
_FIRST_REGISTRATION = PENDING - {Status.CORRECTED}
ALLOWED: dict[str, frozenset[str]] = {
    "": _FIRST_REGISTRATION | {Status.RECEIVED},
    Status.RECEIVED: _FIRST_REGISTRATION | {Status.WITHDRAWN},
    Status.PROVISIONAL: _ALL_PENDING_AND_DEFINITIVE - {Status.CORRECTED, Status.PROVISIONAL},
    Status.AWAITING_CUT_SCORE: _ALL_PENDING_AND_DEFINITIVE - {Status.CORRECTED, Status.AWAITING_CUT_SCORE},
    Status.COMPLAINT_WINDOW: _ALL_PENDING_AND_DEFINITIVE - {Status.CORRECTED, Status.COMPLAINT_WINDOW},
    Status.COMPLAINT_OPEN: _ALL_PENDING_AND_DEFINITIVE - {Status.CORRECTED, Status.COMPLAINT_OPEN},
    Status.EXCEPTION_OPEN: _ALL_PENDING_AND_DEFINITIVE - {Status.CORRECTED, Status.EXCEPTION_OPEN},
    Status.CORRECTED: _ALL_PENDING_AND_DEFINITIVE - {Status.CORRECTED, Status.PROVISIONAL},
    Status.DEFINITIVE: frozenset(
        {Status.APPEAL_WINDOW, Status.APPEAL_OPEN, Status.CLOSED, Status.CORRECTED, Status.WITHDRAWN}
    ),
    Status.APPEAL_WINDOW: frozenset({Status.APPEAL_OPEN, Status.CLOSED, Status.CORRECTED, Status.WITHDRAWN}),
    Status.APPEAL_OPEN: frozenset({Status.APPEAL_WINDOW, Status.CLOSED, Status.CORRECTED, Status.WITHDRAWN}),
    Status.CLOSED: frozenset({Status.CORRECTED, Status.WITHDRAWN}),
    Status.WITHDRAWN: frozenset(),
}


class IllegalTransition(ValueError):
    """A move the state machine does not allow; logged as an error, the state stays."""

    def __init__(self, before: str, after: str) -> None:
        super().__init__(f"transition {before or '(none)'} -> {after} is not allowed")
        self.before = before
        self.after = after


def check_transition(before: str, after: str) -> None:
    if after not in ALLOWED.get(before, frozenset()):
        raise IllegalTransition(before, after)


@dataclass(slots=True)
class ResultRecord:
    """The KRS view of one participation's result: the ``result`` row plus a few working fields."""

    association_id: str
    student_id: str
    component_id: str
    exam_version_id: str
    offering_id: str
    attempt: int
    variant: int
    status: str
    current_version: int
    versions: int
    result_state: str
    sitting_date: date
    received_on: date
    marking_deadline: date
    attendance: str | None = None
    raw_score: int | None = None
    max_raw_score: int | None = None
    delivered_score: str | None = None
    delivered_pass: str | None = None
    final: bool = False
    grade: str | None = None
    passed: bool | None = None
    grade_method: str | None = None
    assessor_id: str | None = None
    assessor_code: str | None = None
    test_date: str | None = None
    result_date: date | None = None
    scored_on: date | None = None
    provisional_since: date | None = None
    cut_score: int | None = None
    cut_score_known_on: date | None = None
    complaint_deadline: date | None = None
    establishment_due: date | None = None
    definitive_on: date | None = None
    definitive_rule: str | None = None
    definitive_by: str | None = None
    appeal_deadline: date | None = None
    closed_on: date | None = None
    withdrawn_on: date | None = None
    marked_on: date | None = None
    marking_late: bool | None = None
    import_deadline: date | None = None
    imported_on: date | None = None
    import_late: bool | None = None
    open_complaints: int = 0
    open_appeals: int = 0
    exception: str | None = None
    exception_approved_by: str | None = None
    early_by: str | None = None
    held_version: int | None = None
    corrections: int = 0
    notified_on: date | None = None
    last_message_id: str | None = None
    updated_at: str = ""
    correction_expected: bool = False
    current_digest: str = ""
    needs_cut_score: bool = False
    current_seq: int = 0


RECORD_FIELDS = tuple(f.name for f in fields(ResultRecord))
# Written by name because compiled code keeps no readable annotations to derive them from
# (tests/core/test_compiled.py checks the list against the class above).
DATE_FIELDS = frozenset(
    {
        "sitting_date",
        "received_on",
        "marking_deadline",
        "result_date",
        "scored_on",
        "provisional_since",
        "cut_score_known_on",
        "complaint_deadline",
        "establishment_due",
        "definitive_on",
        "appeal_deadline",
        "closed_on",
        "withdrawn_on",
        "marked_on",
        "import_deadline",
        "imported_on",
        "notified_on",
    }
)


@dataclass(frozen=True, slots=True)
class Check:
    """One named establishment rule and whether it holds; the log records the list."""

    rule: str
    ok: bool

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "ok": self.ok}


CHECK_RULES = (
    "right-student",
    "right-component",
    "date-attempt",
    "assessor-present",
    "status-completed",
    "supplier-final",
    "no-open-complaint",
    "no-correction-pending",
    "complaint-window-closed",
    "exceptions-resolved",
    "cut-score-known",
    "establishment-date",
)


_ALL_PASS = [Check(rule, True) for rule in CHECK_RULES]


def failing_checks(rec: ResultRecord, policy: Policy, today: date) -> set[str]:
    """Names of the establishment checks that do not hold (fast path: no objects built)."""
    failing: set[str] = set()
    if rec.exception and rec.exception_approved_by is None and policy.exceptions_block_establishment:
        failing.add("exceptions-resolved")
        if "date-mismatch" in rec.exception:
            failing.add("date-attempt")
        if "assessor-missing" in rec.exception:
            failing.add("assessor-present")
    if rec.result_state != "completed":
        failing.add("status-completed")
    if rec.variant == 2 and policy.variant2_requires_final and not rec.final and not supplier_settled(rec):
        failing.add("supplier-final")
    if rec.open_complaints:
        failing.add("no-open-complaint")
    if rec.correction_expected:
        failing.add("no-correction-pending")
    early = rec.early_by is not None
    if not early and rec.complaint_deadline is not None and today <= rec.complaint_deadline:
        failing.add("complaint-window-closed")
    # Variant 1: nothing of a cut-score exam version is definitive before its cesuur is known (seed
    # "beoordelen": "resultaten uitsluitend definitief na cesuurvaststelling"), absent candidates included.
    unconverted = rec.raw_score is not None and rec.grade is None
    if rec.needs_cut_score and (rec.cut_score_known_on is None or unconverted):
        failing.add("cut-score-known")
    if not early and rec.establishment_due is not None and today < rec.establishment_due:
        failing.add("establishment-date")
    return failing


def establishment_checks(rec: ResultRecord, policy: Policy, today: date) -> list[Check]:
    """The checks before establishment (seed "vaststellen resultaat"), in the order the log shows them.

    right-student / right-component always hold here: mismatches are quarantined at ingest.
    """
    failing = failing_checks(rec, policy, today)
    return [Check(rule, rule not in failing) for rule in CHECK_RULES]


def decide(rec: ResultRecord, policy: Policy, today: date) -> tuple[str, list[Check] | None]:
    """The state the facts call for; for establishment also the checks that allowed it.

    A pending result's state names the first reason it cannot be established yet, in this order:
    open complaint, complaint window, unapproved exception, cut score, anything else. Evaluated
    with early exits (once per message), equivalent to ranking ``failing_checks``.
    """
    status = rec.status
    if status == Status.WITHDRAWN:
        return status, None
    unregistered = status == "" or status == Status.RECEIVED
    completed = rec.result_state == "completed"
    if unregistered and not completed:
        return Status.RECEIVED, None
    if status in ESTABLISHED:
        if status == Status.CLOSED:  # only a correction or a withdrawal leaves it (other paths)
            return status, None
        if rec.open_appeals:
            return Status.APPEAL_OPEN, None
        deadline = rec.appeal_deadline
        if deadline is None:  # no appeal window configured: a definitive result stays definitive;
            # one past an appeal (filed anyway, now decided) is closed: nothing is left to challenge,
            # and no state after definitive may step back to it
            return (Status.DEFINITIVE if status == Status.DEFINITIVE else Status.CLOSED), None
        return (Status.APPEAL_WINDOW if today <= deadline else Status.CLOSED), None
    if rec.open_complaints:
        return Status.COMPLAINT_OPEN, None
    early = rec.early_by is not None
    deadline = rec.complaint_deadline
    if not early and deadline is not None and today <= deadline:
        return Status.COMPLAINT_WINDOW, None
    if rec.exception and rec.exception_approved_by is None and policy.exceptions_block_establishment:
        return Status.EXCEPTION_OPEN, None
    if rec.needs_cut_score and (
        rec.cut_score_known_on is None or (rec.raw_score is not None and rec.grade is None)
    ):
        return Status.AWAITING_CUT_SCORE, None
    due = rec.establishment_due
    if (
        not completed
        or (
            rec.variant == 2
            and policy.variant2_requires_final
            and not rec.final
            and not supplier_settled(rec)
        )
        or rec.correction_expected
        or (not early and due is not None and today < due)
    ):
        return (Status.CORRECTED if status == Status.CORRECTED else Status.PROVISIONAL), None
    if unregistered:
        return Status.PROVISIONAL, None  # published as "voorlopig" before it can become definitive
    return Status.DEFINITIVE, _ALL_PASS


def unscored(rec: ResultRecord) -> bool:
    """Nothing delivered to convert: an absence, or attendance only."""
    return rec.raw_score is None and rec.delivered_score is None


def supplier_settled(rec: ResultRecord) -> bool:
    """Variant 2, an absence (nothing delivered to convert): the supplier sends no final result for
    it, so it counts as settled once the supplier published final results of its exam version (its
    cut score is known then, seed "beoordelen"); ``cut_score_known_on`` records that day."""
    return unscored(rec) and rec.cut_score_known_on is not None


def establishment_rule(rec: ResultRecord, policy: Policy) -> tuple[str, str]:
    """(rule, by) recorded with a definitive result."""
    if rec.early_by is not None:
        return "early_establishment", rec.early_by
    if rec.variant == 2 and policy.establishment_rule == "after_cut_score":
        return "supplier_final", "examenleverancier"
    return policy.establishment_rule, policy.establishment_role
