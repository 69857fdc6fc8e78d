"""KRS tables (SQLModel). Hot-path writes go through SQLAlchemy Core on ``Model.__table__``.

Date-times are stored as RFC 3339 UTC text (byte-stable across SQLite and PostgreSQL); calendar
dates as DATE. JSON payloads (documents, problems, log detail) are stored as sorted-key JSON text.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from sqlmodel import Field, SQLModel

if TYPE_CHECKING:
    from sqlalchemy import Table


class KrsTable(SQLModel):
    """Base of every KRS table model; adds nothing at runtime (no fields, no table of its own).

    SQLModel's metaclass gives each ``table=True`` class its ``__table__``, but SQLModel does not
    declare it, so type checkers cannot see it; declaring it here types ``Model.__table__`` (and
    lists of models, ``type[KrsTable]``) everywhere without a cast.
    """

    if TYPE_CHECKING:
        __table__: ClassVar[Table]
        __tablename__: ClassVar[str]


class Institution(KrsTable, table=True):
    __tablename__ = "institution"
    institution_id: str = Field(primary_key=True)
    name: str
    brin: str = ""
    policy: str = ""
    closure_days: str = "[]"  # JSON list of YYYY-MM-DD
    year_start: date | None = None
    year_end: date | None = None


class Student(KrsTable, table=True):
    __tablename__ = "student"
    student_id: str = Field(primary_key=True)
    student_number: str = Field(index=True)
    given_name: str = ""
    tussenvoegsel: str = ""
    family_name: str = ""
    email: str = ""
    crebo: str = ""
    cohort: str = ""
    college_code: str = ""


class Assessor(KrsTable, table=True):
    __tablename__ = "assessor"
    assessor_id: str = Field(primary_key=True)
    assessor_code: str
    name: str = ""
    college_code: str = ""


class ExamComponent(KrsTable, table=True):
    """Examenonderdeel: what is examined and in which result value type."""

    __tablename__ = "exam_component"
    component_id: str = Field(primary_key=True)
    code: str
    name: str
    college_code: str = ""
    result_value_type: str
    pass_from: str | None = None
    variant: int
    supplier: str = "intern"
    cut_score_required: bool
    assessor_required: bool = False


class ExamVersion(KrsTable, table=True):
    """Examenversie: the cut score (cesuur) is fixed per version."""

    __tablename__ = "exam_version"
    exam_version_id: str = Field(primary_key=True)
    component_id: str = Field(foreign_key="exam_component.component_id", index=True)
    code: str
    max_raw_score: int


class ExamSession(KrsTable, table=True):
    """Zitting (OOAPI ComponentOffering)."""

    __tablename__ = "exam_session"
    offering_id: str = Field(primary_key=True)
    component_id: str = Field(foreign_key="exam_component.component_id", index=True)
    exam_version_id: str = Field(foreign_key="exam_version.exam_version_id")
    name: str = ""
    start: str
    end: str
    sitting_date: date
    period: str = ""
    state: str = "active"


class Participation(KrsTable, table=True):
    """Deelname (OOAPI ComponentOfferingAssociation); resits point at the original."""

    __tablename__ = "participation"
    association_id: str = Field(primary_key=True)
    offering_id: str = Field(foreign_key="exam_session.offering_id", index=True)
    student_id: str = Field(foreign_key="student.student_id", index=True)
    attempt: int = 1
    original_association_id: str | None = None
    state: str = "associated"


class Result(KrsTable, table=True):
    """The current state of one participation's result (one row per association)."""

    __tablename__ = "result"
    association_id: str = Field(primary_key=True)
    student_id: str
    component_id: str
    exam_version_id: str
    offering_id: str
    attempt: int
    variant: int
    status: str = Field(index=True)
    current_version: int
    current_seq: int = 0  # result_version.seq of the current version
    versions: int
    result_state: str
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
    sitting_date: date
    received_on: date
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
    marking_deadline: date
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


class ResultVersion(KrsTable, table=True):
    """Every delivery of a result, kept verbatim; never updated.

    Keyed by ``seq``, the OKE-log entry that received it, so every insert lands at the end of the
    table. A key or index on (association_id, version) takes a random page per delivery and made
    each delivery several times dearer once the table outgrew the page cache; the result row says
    which version is current (``current_seq``), one association's history is a scan.

    The delivered fields are read from ``body_text`` (``Store.versions`` adds them; in SQL use
    ``json_extract``): parsed columns here cost about 4 us per message to write and nobody filters
    on them (the ``result`` row holds the current values, parsed).
    """

    __tablename__ = "result_version"
    seq: int = Field(primary_key=True)
    association_id: str
    version: int
    message_id: str  # looked up through inbox / oke_log; no index on the hot path
    received_at: str
    flow: int
    disposition: str  # current | ignored-out-of-order | held
    state: str
    body_text: str


class CutScore(KrsTable, table=True):
    """Cesuur per exam version: raw score needed to pass, when and by whom released."""

    __tablename__ = "cut_score"
    exam_version_id: str = Field(primary_key=True)
    cut_score: int
    max_raw_score: int | None = None
    released_at: str
    released_by: str
    valid: bool
    problem: str | None = None
    event_id: str = ""


class Case(KrsTable, table=True):
    """Inzage, klacht/bezwaar or beroep (CBE) about one result."""

    __tablename__ = "case_file"
    case_id: str = Field(primary_key=True)
    kind: str  # inspection | complaint | appeal
    association_id: str = Field(index=True)
    filed_at: str
    reason: str | None = None
    status: str  # open | decided
    outcome: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None


class SessionReport(KrsTable, table=True):
    """Flow 4 (zittingsverslag / proces-verbaal) as delivered, per message."""

    __tablename__ = "session_report"
    seq: int = Field(primary_key=True)
    message_id: str = Field(index=True)
    offering_id: str = Field(index=True)
    received_at: str
    offering_state: str | None = None
    irregularities: str | None = None
    documents: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None
    body_text: str


class OkeLogEntry(KrsTable, table=True):
    """Append-only OKE-log: one entry per received message, transition, event and check.

    Only ``seq`` is indexed: every append lands at the end of the table. An index on
    ``association_id`` would take a random page per entry and made appends three to five times
    slower once the log outgrew the page cache (millions of entries); reading one association's
    entries (the walkthrough) scans instead, about a second per few million entries.
    """

    __tablename__ = "oke_log"
    seq: int = Field(primary_key=True)
    at: str
    kind: str
    actor: str
    rule: str | None = None
    message_id: str | None = None
    association_id: str | None = None
    before: str | None = None
    after: str | None = None
    reason: str | None = None
    detail: str | None = None


class MessageBody(KrsTable, table=True):
    """The body of a received message that no other table keeps (a repeated delivery, no result).

    Every other body is stored once where it is used (``result_version``, ``quarantine``,
    ``session_report``); the OKE-log message entry points at it (``detail`` key ``body@``).
    """

    __tablename__ = "message_body"
    seq: int = Field(primary_key=True)  # seq of the OKE-log message entry
    body_text: str


class QuarantineItem(KrsTable, table=True):
    """A message that could not be applied, with its original text and the problems found."""

    __tablename__ = "quarantine"
    seq: int = Field(primary_key=True)
    message_id: str = Field(index=True)
    received_at: str
    reason: str = Field(index=True)
    flow: int | None = None
    method: str | None = None
    path: str | None = None
    body_text: str
    problems: str = "[]"
    status: str = "open"  # open | released | duplicate
    resolved_at: str | None = None


class InboxEntry(KrsTable, table=True):
    """Register of message ids seen (idempotency); the outcome of the first delivery."""

    __tablename__ = "inbox"
    message_id: str = Field(primary_key=True)
    digest: str
    received_at: str
    outcome: str  # applied | quarantined
    reason: str | None = None


class Meta(KrsTable, table=True):
    __tablename__ = "krs_meta"
    key: str = Field(primary_key=True)
    value: str


TABLES: list[type[KrsTable]] = [
    Institution,
    Student,
    Assessor,
    ExamComponent,
    ExamVersion,
    ExamSession,
    Participation,
    Result,
    ResultVersion,
    CutScore,
    Case,
    SessionReport,
    OkeLogEntry,
    MessageBody,
    QuarantineItem,
    InboxEntry,
    Meta,
]
