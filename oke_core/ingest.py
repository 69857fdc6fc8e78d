"""Ingest: envelope -> contract -> apply -> OKE-log; the one path for CLI, HTTP endpoint and Dagster assets.

Every received message ends up applied, duplicate or quarantined (with a reason code), so
``received == applied + duplicates + quarantined`` always. Writes are buffered and flushed in
batches (SQLAlchemy Core executemany, one transaction per batch); the current state of every
result lives in a dict cache, so the hot path never reads the database per message.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from operator import attrgetter
from typing import Any

import orjson
from sqlalchemy import select

from oke_core import events as event_handlers
from oke_core.calendar import local_date, parse_datetime
from oke_core.contract import Contract, Problem, RuleContext, Verdict, detect_flow
from oke_core.grading import AS_DELIVERED, CutScoreError, convert, passes
from oke_core.lifecycle import (
    ESTABLISHED,
    PENDING,
    RECORD_FIELDS,
    IllegalTransition,
    ResultRecord,
    Status,
    check_transition,
    decide,
    establishment_rule,
)
from oke_core.okelog import OkeLog, midnight, utc_text
from oke_core.planning import Association, Planning
from oke_core.policy import Policy
from oke_core.store import Store, models
from oke_core.store.batch import insert_many, insert_tuples, update_many, update_tuples

NL = "nl-test-admin"
QUARANTINE_REASONS = (
    "invalid",
    "json-syntax",
    "unknown-association",
    "wrong-student",
    "wrong-component",
    "unknown-offering",
)
_INSERT_ROW = attrgetter(*RECORD_FIELDS)
_UPDATE_COLS = tuple(f for f in RECORD_FIELDS if f != "association_id")
_UPDATE_ROW = attrgetter(*_UPDATE_COLS, "association_id")


def dumps(obj: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


@dataclass
class IngestCounts:
    """What happened to the messages (and events) handled in one call."""

    received: int = 0
    applied: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    events: int = 0
    event_errors: int = 0

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())

    @property
    def balanced(self) -> bool:
        return self.received == self.applied + self.duplicates + self.quarantined_total

    def add(self, other: IngestCounts) -> None:
        self.received += other.received
        self.applied += other.applied
        self.duplicates += other.duplicates
        for reason, n in other.quarantined.items():
            self.quarantined[reason] = self.quarantined.get(reason, 0) + n
        self.events += other.events
        self.event_errors += other.event_errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "applied": self.applied,
            "duplicates": self.duplicates,
            "quarantined": dict(sorted(self.quarantined.items())),
            "quarantined_total": self.quarantined_total,
            "events": self.events,
            "event_errors": self.event_errors,
        }


@dataclass
class Outcome:
    status: str  # applied | duplicate | quarantined
    reason: str | None
    verdict: Verdict | None
    association_id: str | None
    version: int | None


class _Quarantine(Exception):
    def __init__(self, reason: str, problems: list[Problem]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problems = problems


def _problem(pointer: str, code: str, message: str) -> Problem:
    return Problem(pointer=pointer, code=code, message=message)


def _parse_path(path: Any) -> tuple[str | None, str | None]:
    if not isinstance(path, str):
        return None, None
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if len(parts) >= 2 and parts[-2] in ("associations", "offerings"):
        return parts[-2], parts[-1]
    return None, None


def _nl_consumer(obj: Any) -> dict[str, Any] | None:
    consumers = obj.get("consumers") if isinstance(obj, dict) else None
    if isinstance(consumers, list):
        for item in consumers:
            if isinstance(item, dict) and item.get("consumerKey") == NL:
                return item
    return None


def _ref_id(value: Any, key: str) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get(key), str):
        return value[key]
    return None


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class Ingestor:
    """KRS processing for one store: messages, KRS-side events and the clock.

    Writes are buffered: call ``flush()`` (``receive_many`` flushes every ``batch_size`` messages).
    One Ingestor per store and writer: it is not thread-safe (an HTTP server serialises calls to it).
    """

    def __init__(
        self,
        store: Store,
        planning: Planning,
        policy: Policy,
        contract: Contract | None = None,
        *,
        batch_size: int = 5000,
    ) -> None:
        self.store = store
        self.planning = planning
        self.policy = policy
        self.contract = contract or Contract.load()
        self.batch_size = batch_size
        self.cal = planning.calendar()
        self.counts = IngestCounts()  # lifetime of this Ingestor
        self._contexts: dict[str, RuleContext] = {}
        self._no_irregularity = frozenset(
            t.strip().rstrip(".!").strip().lower() for t in policy.no_irregularity_texts
        )
        self._day_cache: dict[str, date] = {}
        self._by_offering: dict[str, list[str]] | None = None
        # buffers
        self._inbox: list[dict[str, Any]] = []
        self._pending_ids: dict[str, str] = {}
        self._prefetched: dict[str, str] | None = None
        self._versions: list[dict[str, Any]] = []
        self._quarantine: list[dict[str, Any]] = []
        self._quarantine_updates: list[dict[str, Any]] = []
        self._inbox_updates: list[dict[str, Any]] = []
        self._reports: list[dict[str, Any]] = []
        self._participations: list[dict[str, Any]] = []
        self._dirty: set[str] = set()
        self._dirty_cut: set[str] = set()
        self._dirty_cases: set[str] = set()
        self._buffered = 0
        self._load_state()

    # -- state ------------------------------------------------------------------------------------
    def _load_state(self) -> None:
        st = self.store
        eng = st.engine
        with eng.connect() as conn:

            def max_of(table: Any) -> int:
                return int(
                    conn.execute(select(table.c.seq).order_by(table.c.seq.desc()).limit(1)).scalar() or 0
                )

            self.log = OkeLog(max_of(models.OkeLogEntry.__table__) + 1)
            self._q_seq = max_of(models.QuarantineItem.__table__) + 1
            self._r_seq = max_of(models.SessionReport.__table__) + 1
        clock = st.meta("clock")
        self.today: date | None = date.fromisoformat(clock) if clock else None
        self.results: dict[str, ResultRecord] = {}
        self._persisted: set[str] = set()
        self.by_version: dict[str, set[str]] = defaultdict(set)
        self.wake: dict[date, set[str]] = defaultdict(set)
        for row in st.rows(models.Result):
            rec = ResultRecord(**{k: row[k] for k in RECORD_FIELDS})
            self.results[rec.association_id] = rec
            self._persisted.add(rec.association_id)
            self.by_version[rec.exam_version_id].add(rec.association_id)
            self._schedule(rec)
        self.cut_scores: dict[str, dict[str, Any]] = {
            r["exam_version_id"]: r for r in st.rows(models.CutScore)
        }
        self._cut_persisted = set(self.cut_scores)
        self.cases: dict[str, dict[str, Any]] = {r["case_id"]: r for r in st.rows(models.Case)}
        self._case_persisted = set(self.cases)
        self.irregular_offerings: set[str] = set()
        self.approved_offerings: dict[str, str] = {}
        for r in st.rows(models.SessionReport):
            if r["irregularities"]:
                self.irregular_offerings.add(r["offering_id"])
            if r["approved_by"]:
                self.approved_offerings[r["offering_id"]] = r["approved_by"]
        if st.meta("planning_digest") != self.planning.digest:
            added = st.load_planning(self.planning)
            start = self.planning.institution.get("year_start")
            at = midnight(self.today) if self.today else midnight(date.fromisoformat(start)) if start else ""
            self.log.append(
                at,
                "planning",
                "KRS",
                rule="planning-load",
                after=self.planning.digest,
                detail=dumps({"action": "load", "rows_added": added}),
            )
            self._meta_pending = {"planning_digest": self.planning.digest}
        else:
            self._meta_pending = {}

    def _now(self) -> str:
        return midnight(self.today) if self.today else ""

    def _day(self, text: str) -> date:
        """Dutch date of an RFC 3339 moment; cached per hour for the common UTC ``Z`` form."""
        key = text[:13] if text.endswith("Z") else text
        day = self._day_cache.get(key)
        if day is None:
            day = local_date(parse_datetime(text))
            if len(self._day_cache) > 100_000:
                self._day_cache.clear()
            self._day_cache[key] = day
        return day

    def _context(self, assoc: Association) -> RuleContext | None:
        offering = self.planning.offerings.get(assoc.offering_id)
        if offering is None:
            return None
        ctx = self._contexts.get(offering.exam_version_id)
        if ctx is None:
            comp = self.planning.components[offering.component_id]
            version = self.planning.exam_versions[offering.exam_version_id]
            ctx = RuleContext(comp.result_value_type, version.max_raw_score, comp.assessor_required)
            self._contexts[offering.exam_version_id] = ctx
        return ctx

    # -- messages ---------------------------------------------------------------------------------
    def receive(self, envelope: dict[str, Any], received_at: datetime | str | None = None) -> Outcome:
        """One message (HTTP endpoint). Buffered: call ``flush()`` to make it durable."""
        stamp = self._stamp(envelope, received_at)
        day = self._day(stamp)
        if self.today is None or day > self.today:
            self.advance_to(day)
        counts = IngestCounts()
        outcome = self._handle(envelope, stamp, day, counts)
        self.counts.add(counts)
        if self._buffered >= self.batch_size:
            self.flush()
        return outcome

    def receive_many(self, envelopes: Iterable[dict[str, Any]]) -> IngestCounts:
        """Messages in arrival order (CLI, assets); flushed every ``batch_size`` messages."""
        counts = IngestCounts()
        for chunk in _chunks(envelopes, self.batch_size):
            self.flush()
            self._prefetch(env.get("message_id") for env in chunk)
            for env in chunk:
                stamp = self._stamp(env, None)
                day = self._day(stamp)
                if self.today is None or day > self.today:
                    self.advance_to(day)
                self._handle(env, stamp, day, counts)
            self._prefetched = None
        self.flush()
        self.counts.add(counts)
        return counts

    @staticmethod
    def _stamp(envelope: dict[str, Any], received_at: datetime | str | None) -> str:
        if isinstance(received_at, datetime):
            return utc_text(received_at)
        if isinstance(received_at, str) and received_at:
            return received_at
        got = envelope.get("received_at") or envelope.get("sent_at")
        return got if isinstance(got, str) and got else "1970-01-01T00:00:00Z"

    def _prefetch(self, ids: Iterable[Any]) -> None:
        wanted = sorted({i for i in ids if isinstance(i, str)})
        found: dict[str, str] = {}
        table = models.InboxEntry.__table__
        with self.store.engine.connect() as conn:
            for start in range(0, len(wanted), 900):
                part = wanted[start : start + 900]
                for mid, digest in conn.execute(
                    select(table.c.message_id, table.c.digest).where(table.c.message_id.in_(part))
                ):
                    found[mid] = digest
        self._prefetched = found

    def _seen(self, mid: str) -> str | None:
        hit = self._pending_ids.get(mid)
        if hit is not None:
            return hit
        if self._prefetched is not None:
            return self._prefetched.get(mid)
        table = models.InboxEntry.__table__
        with self.store.engine.connect() as conn:
            return conn.execute(select(table.c.digest).where(table.c.message_id == mid)).scalar_one_or_none()

    def _handle(
        self,
        env: dict[str, Any],
        stamp: str,
        day: date,
        counts: IngestCounts,
        requeue: dict[str, Any] | None = None,
    ) -> Outcome:
        counts.received += 1
        self._buffered += 1
        mid = env.get("message_id")
        method = env.get("method")
        path = env.get("path")
        is_json = "body_text" not in env
        if is_json:
            body: Any = env.get("body")
            text = dumps(body)
        else:
            body = None
            text = env["body_text"] if isinstance(env["body_text"], str) else str(env["body_text"])
        digest = hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
        if not isinstance(mid, str) or not mid:
            mid = "no-id-" + digest
        kind, target = _parse_path(path)
        detail: dict[str, Any] = {
            "method": method,
            "path": path,
            "received_at": stamp,
            "sent_at": env.get("sent_at"),
            "flow_given": env.get("flow"),
        }
        # the body goes first in the (sorted-key) detail text; splice it in instead of re-serialising it
        head = '{"body":' + text + "," if is_json else '{"body_text":' + dumps(text) + ","

        def detail_text(extra: dict[str, Any]) -> str:
            return head + dumps(detail | extra)[1:]

        if requeue is None:
            entry = self.log.append(stamp, "message", "TA", message_id=mid, association_id=target)
            prev = self._seen(mid)
            reused = prev is not None and prev != digest
            if prev is not None and not reused:
                counts.duplicates += 1
                entry.update(after="duplicate", reason="same-message-id", detail=detail_text({}))
                return Outcome("duplicate", "same-message-id", None, target, None)
        else:
            entry = self.log.append(
                self._now(),
                "reprocess",
                "KRS",
                message_id=mid,
                association_id=target,
                rule="reprocess-quarantine",
            )
            reused = False
        verdict: Verdict | None = None
        try:
            flow = env.get("flow")
            assoc = self.planning.associations.get(target) if kind == "associations" and target else None
            ctx = self._context(assoc) if assoc else None
            if is_json:
                if flow is None:
                    flow = detect_flow(method, path, body)
                verdict = self.contract.check(body, flow, ctx, method=method, path=path)
            else:
                body, verdict = self.contract.check_text(text, flow, method, path, ctx)
                flow = verdict.flow
            if verdict.errors:
                reason = "json-syntax" if any(p.code == "json-syntax" for p in verdict.errors) else "invalid"
                raise _Quarantine(reason, verdict.errors)
            if kind is None:
                raise _Quarantine(
                    "invalid",
                    [
                        _problem(
                            "",
                            "envelope.path",
                            f"path {path!r} is not /associations/{{id}} or /offerings/{{id}}",
                        )
                    ],
                )
            if kind == "offerings":
                if flow != 4 or target not in self.planning.offerings:
                    raise _Quarantine(
                        "unknown-offering",
                        [_problem("", "unknown-offering", f"offering {target} is not in the planning")],
                    )
                status, why, version = "applied", None, None
                self._apply_session_report(body, target, mid, stamp, text)
            else:
                if assoc is None:
                    assoc = self._extra_attempt(body, target, flow, method, stamp, mid)
                if assoc is None:
                    raise _Quarantine(
                        "unknown-association",
                        [_problem("", "unknown-association", f"association {target} is not in the planning")],
                    )
                self._cross_check(body, assoc)
                status, why, version = self._apply_result(body, assoc, mid, stamp, day, text, digest, flow)
        except _Quarantine as q:
            counts.quarantined[q.reason] = counts.quarantined.get(q.reason, 0) + 1
            problems = dumps([p.to_dict() for p in q.problems])
            entry.update(
                after="quarantined", reason=q.reason, detail=detail_text({"problems": orjson.loads(problems)})
            )
            if requeue is None:
                self._quarantine.append(
                    {
                        "seq": self._q_seq,
                        "message_id": mid,
                        "received_at": stamp,
                        "reason": q.reason,
                        "flow": flow if isinstance(flow, int) else None,
                        "method": method,
                        "path": path,
                        "body_text": text,
                        "problems": problems,
                        "status": "open",
                        "resolved_at": None,
                    }
                )
                self._q_seq += 1
                if not reused:
                    self._remember(mid, digest, stamp, "quarantined", q.reason)
            elif requeue["reason"] != q.reason or requeue["problems"] != problems:
                self._quarantine_updates.append(
                    {
                        "seq": requeue["seq"],
                        "reason": q.reason,
                        "problems": problems,
                        "status": "open",
                        "resolved_at": None,
                    }
                )
            return Outcome("quarantined", q.reason, verdict, target, None)
        if status == "duplicate":
            counts.duplicates += 1
        else:
            counts.applied += 1
        entry.update(
            after=status,
            reason=why,
            rule=f"flow-{flow}",
            detail=detail_text({"flow": flow, "version": version}),
        )
        if requeue is None:
            if not reused:
                self._remember(mid, digest, stamp, "applied", None)
        else:
            self._quarantine_updates.append(
                {
                    "seq": requeue["seq"],
                    "reason": requeue["reason"],
                    "problems": requeue["problems"],
                    "status": "released",
                    "resolved_at": self._now(),
                }
            )
            self._inbox_updates.append({"message_id": mid, "outcome": "applied", "reason": None})
        return Outcome(status, why, verdict, target, version)

    def _remember(self, mid: str, digest: str, stamp: str, outcome: str, reason: str | None) -> None:
        self._pending_ids[mid] = digest
        self._inbox.append(
            {"message_id": mid, "digest": digest, "received_at": stamp, "outcome": outcome, "reason": reason}
        )

    def _cross_check(self, body: dict[str, Any], assoc: Association) -> None:
        """INTERFACES.md section 10: ``person``/``offering`` in the body must match the deelname."""
        person = _ref_id(body.get("person"), "personId")
        if person is not None and person != assoc.student_id:
            raise _Quarantine(
                "wrong-student",
                [
                    _problem(
                        "/person",
                        "wrong-student",
                        f"person {person} is not the student of association {assoc.association_id}",
                    )
                ],
            )
        offering = _ref_id(body.get("offering"), "offeringId")
        if offering is not None and offering != assoc.offering_id:
            raise _Quarantine(
                "wrong-component",
                [
                    _problem(
                        "/offering",
                        "wrong-component",
                        f"offering {offering} is not the zitting of association {assoc.association_id}",
                    )
                ],
            )

    def _extra_attempt(
        self, body: Any, target: str | None, flow: Any, method: Any, stamp: str, mid: str
    ) -> Association | None:
        """Flow 5 PUT for an unforeseen extra attempt: accepted (200), the deelname is created."""
        if flow != 5 or not target or not isinstance(body, dict):
            return None
        nl = _nl_consumer(body) or {}
        original = self.planning.associations.get(nl.get("orgAssociationId") or "")
        if original is None:
            return None
        offering = _ref_id(body.get("offering"), "offeringId") or original.offering_id
        person = _ref_id(body.get("person"), "personId") or original.student_id
        if offering not in self.planning.offerings or person not in self.planning.students:
            return None
        attempt = nl.get("attempt") if isinstance(nl.get("attempt"), int) else original.attempt + 1
        assoc = Association(target, offering, person, attempt, original.association_id, "associated")
        self.planning.associations[target] = assoc
        if self._by_offering is not None:
            self._by_offering.setdefault(offering, []).append(target)
        self._participations.append(
            {
                "association_id": target,
                "offering_id": offering,
                "student_id": person,
                "attempt": attempt,
                "original_association_id": original.association_id,
                "state": "associated",
            }
        )
        self.log.append(
            stamp,
            "association-created",
            "KRS",
            rule="unforeseen-extra-attempt",
            message_id=mid,
            association_id=target,
            after=str(attempt),
            detail=dumps({"original_association_id": original.association_id}),
        )
        return assoc

    # -- applying a result ------------------------------------------------------------------------
    def _apply_result(
        self,
        body: dict[str, Any],
        assoc: Association,
        mid: str,
        stamp: str,
        day: date,
        text: str,
        digest: str,
        flow: int,
    ) -> tuple[str, str | None, int | None]:
        res = body.get("result")
        if not isinstance(res, dict):
            return "applied", "no-result", None
        aid = assoc.association_id
        rec = self.results.get(aid)
        if rec is not None and digest == rec.current_digest:
            return "duplicate", "same-content", rec.current_version
        offering = self.planning.offerings[assoc.offering_id]
        comp = self.planning.components[offering.component_id]
        nl = _nl_consumer(res)
        if nl is None and rec is not None:  # merge-patch: consumers left out -> unchanged
            nl = {
                "attendance": rec.attendance,
                "rawScore": rec.raw_score,
                "maxRawScore": rec.max_raw_score,
                "final": rec.final,
                "assessorId": rec.assessor_id,
                "assessorCode": rec.assessor_code,
                "testDate": rec.test_date,
            }
        nl = nl or {}
        state = res.get("state")
        if rec is None:
            rec = ResultRecord(
                association_id=aid,
                student_id=assoc.student_id,
                component_id=comp.component_id,
                exam_version_id=offering.exam_version_id,
                offering_id=offering.offering_id,
                attempt=assoc.attempt,
                variant=comp.variant,
                status="",
                current_version=0,
                versions=0,
                result_state="",
                sitting_date=offering.sitting_date,
                received_on=day,
                marking_deadline=self.cal.add(offering.sitting_date, self.policy.marking_working_days),
                needs_cut_score=comp.variant == 1
                and comp.cut_score
                and comp.result_value_type not in AS_DELIVERED,
            )
            self.results[aid] = rec
            self.by_version[rec.exam_version_id].add(aid)
        version = rec.versions + 1
        rec.versions = version
        self._dirty.add(aid)
        row = {
            "association_id": aid,
            "version": version,
            "message_id": mid,
            "received_at": stamp,
            "flow": flow,
            "disposition": "current",
            "state": str(state),
            "attendance": nl.get("attendance"),
            "raw_score": nl.get("rawScore"),
            "max_raw_score": nl.get("maxRawScore"),
            "score": res.get("score", rec.delivered_score),
            "pass": res.get("pass", rec.delivered_pass),
            "final": bool(nl.get("final")),
            "assessor_id": nl.get("assessorId"),
            "assessor_code": nl.get("assessorCode"),
            "test_date": nl.get("testDate"),
            "result_date": res.get("resultDate"),
            "irregularities": nl.get("irregularities"),
            "documents": dumps(nl["documents"]) if nl.get("documents") else None,
            "body_text": text,
        }
        self._versions.append(row)
        rec.updated_at = stamp
        if rec.result_state == "completed" and state != "completed":
            row["disposition"] = "ignored-out-of-order"
            return "applied", "late-attendance-ignored", version
        correction = rec.result_state == "completed" and state == "completed"
        if correction and (rec.status in ESTABLISHED or rec.status == Status.WITHDRAWN):
            if rec.status == Status.WITHDRAWN or (
                self.policy.correction_after_definitive == "hold" and not rec.correction_expected
            ):
                row["disposition"] = "held"
                rec.held_version = version
                self.log.append(
                    stamp,
                    "correction",
                    "KRS",
                    rule="correction-after-definitive",
                    message_id=mid,
                    association_id=aid,
                    before=str(rec.current_version),
                    after=str(version),
                    reason="held-withdrawn" if rec.status == Status.WITHDRAWN else "held-by-policy",
                )
                return "applied", "correction-held", version
            self._transition(rec, Status.CORRECTED, stamp, mid, "correction-after-definitive")
            rec.definitive_on = rec.definitive_rule = rec.definitive_by = None
            rec.appeal_deadline = rec.closed_on = None
            rec.provisional_since = self.today
            self._restart_window(rec)
        elif correction and rec.correction_expected and self.policy.complaint_upheld_restarts_window:
            rec.provisional_since = self.today
            self._restart_window(rec)
        if correction:
            rec.corrections += 1
            rec.correction_expected = False
            self.log.append(
                stamp,
                "correction",
                "TA",
                rule="new-version",
                message_id=mid,
                association_id=aid,
                before=str(rec.current_version),
                after=str(version),
            )
        rec.current_version = version
        rec.current_digest = digest
        rec.last_message_id = mid
        rec.result_state = str(state)
        rec.attendance = row["attendance"]
        rec.raw_score = row["raw_score"]
        rec.max_raw_score = row["max_raw_score"]
        rec.delivered_score = row["score"]
        rec.delivered_pass = row["pass"]
        rec.final = row["final"]
        rec.assessor_id = row["assessor_id"]
        rec.assessor_code = row["assessor_code"]
        rec.test_date = row["test_date"]
        rd = row["result_date"]
        rec.result_date = date.fromisoformat(rd[:10]) if isinstance(rd, str) and len(rd) >= 10 else None
        if state == "completed":
            if rec.scored_on is None:
                rec.scored_on = day
                rec.marked_on = rec.result_date or day
                rec.marking_late = rec.marked_on > rec.marking_deadline
                rec.import_deadline = self.cal.add(rec.marked_on, self.policy.import_working_days)
                rec.imported_on = day
                rec.import_late = day > rec.import_deadline
                if self.policy.establishment_rule == "fixed_working_days_after_sitting":
                    rec.establishment_due = self.cal.add(
                        rec.sitting_date, self.policy.establishment_working_days or 0
                    )
            self._set_exceptions(rec, row["irregularities"], offering, comp.assessor_required, body)
            self._grade(rec)
        self._settle(rec, stamp, mid, "delivery")
        return "applied", "correction" if correction else None, version

    def _restart_window(self, rec: ResultRecord) -> None:
        days = self.policy.complaint_window_working_days
        if days and rec.provisional_since is not None:
            rec.complaint_deadline = self.cal.add(rec.provisional_since, days)

    def _set_exceptions(
        self,
        rec: ResultRecord,
        irregularities: Any,
        offering: Any,
        assessor_required: bool,
        body: dict[str, Any],
    ) -> None:
        found = []
        if self._irregular(irregularities):
            found.append("irregularities")
        if rec.test_date:
            try:
                tday = self._day(rec.test_date)
                if not offering.sitting_date <= tday <= offering.end_date:
                    found.append("date-mismatch")
            except ValueError:
                found.append("date-mismatch")
        if (
            assessor_required
            and (rec.raw_score is not None or rec.delivered_score is not None)
            and not (rec.assessor_id or rec.assessor_code)
        ):
            found.append("assessor-missing")
        attempt = (_nl_consumer(body) or {}).get("attempt")
        if isinstance(attempt, int) and attempt != rec.attempt:
            found.append("date-mismatch")
        if rec.offering_id in self.irregular_offerings:
            found.append("session-irregularities")
        new = ",".join(sorted(set(found))) or None
        if new != rec.exception:
            rec.exception = new
            rec.exception_approved_by = None
            if new == "session-irregularities" and rec.offering_id in self.approved_offerings:
                rec.exception_approved_by = self.approved_offerings[rec.offering_id]
            if new:
                self.log.append(
                    rec.updated_at or self._now(),
                    "exception",
                    "KRS",
                    rule="exception-detected",
                    association_id=rec.association_id,
                    message_id=rec.last_message_id,
                    after=new,
                    reason="blocks establishment until approved"
                    if self.policy.exceptions_block_establishment
                    else "reported to exam board",
                )

    def _grade(self, rec: ResultRecord) -> None:
        """Grade of the current version: converted (variant 1 with a valid cut score) or as delivered."""
        comp = self.planning.components[rec.component_id]
        if not rec.needs_cut_score or rec.raw_score is None:
            rec.grade = rec.delivered_score
            rec.passed = passes(
                comp.result_value_type, rec.delivered_score, comp.pass_from, rec.delivered_pass
            )
            rec.grade_method = "as-delivered"
            if rec.needs_cut_score and rec.raw_score is None:
                rec.grade_method = "no-raw-score"
            return
        cut = self.cut_scores.get(rec.exam_version_id)
        if cut is None or not cut["valid"]:
            rec.grade = rec.passed = rec.grade_method = None
            return
        version = self.planning.exam_versions[rec.exam_version_id]
        try:
            grade = convert(comp.result_value_type, rec.raw_score, version.max_raw_score, cut["cut_score"])
        except (CutScoreError, ValueError) as exc:
            self.log.append(
                self._now(),
                "error",
                "KRS",
                rule="grade-conversion",
                association_id=rec.association_id,
                reason=str(exc),
            )
            rec.grade = rec.passed = rec.grade_method = None
            return
        rec.grade, rec.passed, rec.grade_method = grade.score, grade.passed, grade.method
        rec.cut_score = cut["cut_score"]
        if rec.cut_score_known_on is None:
            rec.cut_score_known_on = self.today

    # -- lifecycle --------------------------------------------------------------------------------
    def _settle(self, rec: ResultRecord, at: str, mid: str | None, cause: str) -> None:
        """Move the record to the state its facts call for, one logged transition at a time."""
        today = self.today or rec.received_on
        for _ in range(6):
            target, checks = decide(rec, self.policy, today)
            if target == rec.status:
                break
            rule = cause
            detail = None
            if target == Status.DEFINITIVE and checks is not None:
                rule_name, by = establishment_rule(rec, self.policy)
                rule = f"establishment:{rule_name}"
                detail = dumps({"checks": [c.as_dict() for c in checks], "by": by})
            if not self._transition(rec, target, at, mid, rule, detail):
                break
        self._schedule(rec)

    def _transition(
        self, rec: ResultRecord, target: str, at: str, mid: str | None, rule: str, detail: str | None = None
    ) -> bool:
        before = rec.status
        try:
            check_transition(before, target)
        except IllegalTransition as exc:
            self.log.append(
                at,
                "error",
                "KRS",
                rule="illegal-transition",
                message_id=mid,
                association_id=rec.association_id,
                before=before,
                after=target,
                reason=str(exc),
            )
            return False
        today = self.today or rec.received_on
        actor = "KRS"
        if target == Status.PROVISIONAL and rec.provisional_since is None:
            rec.provisional_since = today
            self._restart_window(rec)
        elif target == Status.DEFINITIVE:
            rule_name, by = establishment_rule(rec, self.policy)
            rec.definitive_on, rec.definitive_rule, rec.definitive_by = today, rule_name, by
            actor = by
            days = self.policy.appeal_window_working_days
            rec.appeal_deadline = self.cal.add(today, days) if days else None
        elif target == Status.CLOSED:
            rec.closed_on = today
        elif target == Status.WITHDRAWN:
            rec.withdrawn_on = today
        rec.status = target
        self._dirty.add(rec.association_id)
        self.log.append(
            at,
            "transition",
            actor,
            rule=rule,
            message_id=mid,
            association_id=rec.association_id,
            before=before or None,
            after=target,
            detail=detail,
        )
        if self.policy.notify_students and (
            target == Status.CORRECTED or (target == Status.PROVISIONAL and rec.notified_on is None)
        ):
            rec.notified_on = today
            self.log.append(
                at,
                "notification",
                "KRS",
                rule="notify-student",
                association_id=rec.association_id,
                after="e-mail",
                detail=dumps({"student_id": rec.student_id, "template": "nieuw-resultaat"}),
            )
        return True

    def _schedule(self, rec: ResultRecord) -> None:
        """Remember the next working day on which time alone can change this result's state."""
        today = self.today or rec.received_on
        days = []
        if rec.status in PENDING:
            if rec.complaint_deadline is not None and today <= rec.complaint_deadline:
                days.append(self.cal.add(rec.complaint_deadline, 1))
            if rec.establishment_due is not None and today < rec.establishment_due:
                days.append(rec.establishment_due)
        elif (
            rec.status in (Status.APPEAL_WINDOW, Status.DEFINITIVE)
            and rec.appeal_deadline is not None
            and today <= rec.appeal_deadline
        ):
            days.append(self.cal.add(rec.appeal_deadline, 1))
        if days:
            self.wake[min(days)].add(rec.association_id)

    def advance_to(self, day: date) -> None:
        """Move the clock forward to ``day``: windows close, results are established, appeals end."""
        if self.today is not None and day <= self.today:
            return
        while True:
            due = [d for d in self.wake if d <= day and (self.today is None or d > self.today)]
            stale = [d for d in self.wake if self.today is not None and d <= self.today]
            for d in stale:  # scheduled for a day already passed (e.g. clock set by an older message)
                due.append(d)
            if not due:
                break
            wake_day = min(due)
            step = max(wake_day, self.today) if self.today else wake_day
            if self.today is None or step > self.today:
                self._clock(step)
            for aid in sorted(self.wake.pop(wake_day)):
                rec = self.results.get(aid)
                if rec is not None:
                    self._settle(rec, midnight(self.today), None, "clock")  # type: ignore[arg-type]
        if self.today is None or day > self.today:
            self._clock(day)

    def _clock(self, day: date) -> None:
        before = self.today
        self.log.append(
            midnight(day),
            "clock",
            "KRS",
            rule="clock",
            before=before.isoformat() if before else None,
            after=day.isoformat(),
        )
        self.today = day
        self._meta_pending["clock"] = day.isoformat()

    def settle(self, rec: ResultRecord, at: str, mid: str | None, cause: str) -> None:
        """Public for the event handlers (events.py)."""
        self._settle(rec, at, mid, cause)

    def transition(self, rec: ResultRecord, target: str, at: str, mid: str | None, rule: str) -> bool:
        return self._transition(rec, target, at, mid, rule)

    def regrade(self, rec: ResultRecord) -> None:
        self._grade(rec)
        self._dirty.add(rec.association_id)

    def mark_dirty(self, association_id: str) -> None:
        self._dirty.add(association_id)

    def associations_of_offering(self, offering_id: str) -> list[str]:
        if self._by_offering is None:
            index: dict[str, list[str]] = defaultdict(list)
            for a in self.planning.associations.values():
                index[a.offering_id].append(a.association_id)
            self._by_offering = dict(index)
        return self._by_offering.get(offering_id, [])

    def _irregular(self, text: Any) -> bool:
        """True for a real irregularity; "Geen bijzonderheden." and the like (policy list) are not."""
        if not isinstance(text, str) or not text.strip():
            return False
        return text.strip().rstrip(".!").strip().lower() not in self._no_irregularity

    # -- flow 4 -----------------------------------------------------------------------------------
    def _apply_session_report(
        self, body: dict[str, Any], offering_id: str, mid: str, stamp: str, text: str
    ) -> None:
        nl = _nl_consumer(body) or {}
        irregular = nl.get("irregularities")
        self._reports.append(
            {
                "seq": self._r_seq,
                "message_id": mid,
                "offering_id": offering_id,
                "received_at": stamp,
                "offering_state": nl.get("offeringState"),
                "irregularities": irregular,
                "documents": dumps(nl["documents"]) if nl.get("documents") else None,
                "approved_by": None,
                "approved_at": None,
                "body_text": text,
            }
        )
        self._r_seq += 1
        if self._irregular(irregular) and offering_id not in self.irregular_offerings:
            self.irregular_offerings.add(offering_id)
            for aid in sorted(self.associations_of_offering(offering_id)):
                rec = self.results.get(aid)
                if rec is None or rec.status in ESTABLISHED or rec.status == Status.WITHDRAWN:
                    continue
                kinds = set(rec.exception.split(",")) if rec.exception else set()
                kinds.add("session-irregularities")
                rec.exception = ",".join(sorted(kinds))
                rec.exception_approved_by = self.approved_offerings.get(offering_id)
                self._dirty.add(aid)
                self.log.append(
                    stamp,
                    "exception",
                    "TA",
                    rule="session-irregularities",
                    message_id=mid,
                    association_id=aid,
                    after=rec.exception,
                    reason=str(irregular)[:200],
                )
                self._settle(rec, stamp, mid, "session-report")

    # -- events -----------------------------------------------------------------------------------
    def apply_event(self, event: dict[str, Any]) -> None:
        """A KRS-side event (events.jsonl): cut score, complaint, appeal, early establishment."""
        at = event.get("at")
        if isinstance(at, str) and at:
            try:
                day = self._day(at)
            except ValueError:
                day = None
            if day is not None and (self.today is None or day > self.today):
                self.advance_to(day)
        else:
            at = self._now()
        ok = event_handlers.apply(self, event, at)
        self.counts.events += 1
        if not ok:
            self.counts.event_errors += 1

    def mark_case(self, case_id: str) -> None:
        self._dirty_cases.add(case_id)

    def mark_cut(self, exam_version_id: str) -> None:
        self._dirty_cut.add(exam_version_id)

    # -- quarantine -------------------------------------------------------------------------------
    def reprocess_quarantine(self) -> IngestCounts:
        """Try every open quarantined message again (e.g. after the missing planning arrived)."""
        self.flush()
        self.log.append(self._now(), "reprocess-run", "KRS", rule="reprocess-quarantine")
        counts = IngestCounts()
        items = list(self.store.rows(models.QuarantineItem, status="open"))
        for item in items:
            env = {
                "message_id": item["message_id"],
                "method": item["method"],
                "path": item["path"],
                "body_text": item["body_text"],
            }
            self._handle(env, item["received_at"], self._day(item["received_at"]), counts, requeue=item)
        self.flush()
        return counts

    def extend_planning_records(self, added: dict[str, list[dict[str, Any]]]) -> None:
        """Add planning rows that arrived late (logged, so a log replay redoes it)."""
        from oke_core.planning import Association as A
        from oke_core.planning import Component, ExamVersion, Offering

        p = self.planning
        for s in added.get("students", []):
            p.students[s["student_id"]] = s
        for c in added.get("components", []):
            p.components[c["component_id"]] = Component(**c)
        for v in added.get("exam_versions", []):
            p.exam_versions[v["exam_version_id"]] = ExamVersion(**v)
        for o in added.get("offerings", []):
            o = dict(o)
            o["sitting_date"] = date.fromisoformat(o["sitting_date"])
            o["end_date"] = date.fromisoformat(o["end_date"])
            p.offerings[o["offering_id"]] = Offering(**o)
        for a in added.get("associations", []):
            p.associations[a["association_id"]] = A(**a)
        self._by_offering = None
        self.flush()
        self.store.load_planning(p)
        self.log.append(
            self._now(),
            "planning",
            "KRS",
            rule="planning-extend",
            detail=dumps({"action": "extend", "added": added}),
        )

    def extend_planning(self, newer: Planning) -> dict[str, int]:
        """Merge a newer planning (a superset) into the current one; returns how many rows were added."""
        from dataclasses import asdict

        p = self.planning
        added = {
            "students": [s for k, s in newer.students.items() if k not in p.students],
            "components": [asdict(c) for k, c in newer.components.items() if k not in p.components],
            "exam_versions": [asdict(v) for k, v in newer.exam_versions.items() if k not in p.exam_versions],
            "offerings": [
                asdict(o) | {"sitting_date": o.sitting_date.isoformat(), "end_date": o.end_date.isoformat()}
                for k, o in newer.offerings.items()
                if k not in p.offerings
            ],
            "associations": [asdict(a) for k, a in newer.associations.items() if k not in p.associations],
        }
        added = {
            k: sorted(v, key=lambda r: orjson.dumps(r, option=orjson.OPT_SORT_KEYS)) for k, v in added.items()
        }
        self.extend_planning_records(added)
        return {k: len(v) for k, v in added.items()}

    # -- writing ----------------------------------------------------------------------------------
    def flush(self) -> None:
        """Write all buffered rows in one transaction."""
        log_rows = self.log.drain()
        if not (
            log_rows
            or self._dirty
            or self._inbox
            or self._versions
            or self._quarantine
            or self._meta_pending
            or self._dirty_cut
            or self._dirty_cases
            or self._reports
            or self._quarantine_updates
        ):
            return
        new_results: list[tuple[Any, ...]] = []
        old_results: list[tuple[Any, ...]] = []
        persisted = self._persisted
        for aid in sorted(self._dirty):
            rec = self.results[aid]
            if aid in persisted:
                old_results.append(_UPDATE_ROW(rec))
            else:
                new_results.append(_INSERT_ROW(rec))
        with self.store.engine.begin() as conn:
            insert_many(conn, models.Participation.__table__, self._participations)
            insert_many(conn, models.InboxEntry.__table__, self._inbox)
            update_many(conn, models.InboxEntry.__table__, "message_id", self._inbox_updates)
            insert_many(conn, models.ResultVersion.__table__, self._versions)
            insert_tuples(conn, models.Result.__table__, RECORD_FIELDS, new_results)
            update_tuples(conn, models.Result.__table__, "association_id", _UPDATE_COLS, old_results)
            insert_many(conn, models.QuarantineItem.__table__, self._quarantine)
            update_many(conn, models.QuarantineItem.__table__, "seq", self._quarantine_updates)
            insert_many(conn, models.SessionReport.__table__, self._reports)
            self._flush_keyed(
                conn,
                models.CutScore.__table__,
                "exam_version_id",
                self._dirty_cut,
                self.cut_scores,
                self._cut_persisted,
            )
            self._flush_keyed(
                conn, models.Case.__table__, "case_id", self._dirty_cases, self.cases, self._case_persisted
            )
            insert_many(conn, models.OkeLogEntry.__table__, log_rows)
            meta = models.Meta.__table__
            for key, value in sorted(self._meta_pending.items()):
                if conn.execute(select(meta.c.key).where(meta.c.key == key)).first():
                    update_many(conn, meta, "key", [{"key": key, "value": value}])
                else:
                    insert_many(conn, meta, [{"key": key, "value": value}])
        persisted.update(r[0] for r in new_results)
        for lst in (
            self._participations,
            self._inbox,
            self._inbox_updates,
            self._versions,
            self._quarantine,
            self._quarantine_updates,
            self._reports,
        ):
            lst.clear()
        self._pending_ids.clear()
        self._dirty.clear()
        self._meta_pending = {}
        self._buffered = 0

    @staticmethod
    def _flush_keyed(
        conn: Any, table: Any, key: str, dirty: set[str], rows: dict[str, dict[str, Any]], persisted: set[str]
    ) -> None:
        if not dirty:
            return
        ordered = sorted(dirty)
        insert_many(conn, table, [rows[k] for k in ordered if k not in persisted])
        update_many(conn, table, key, [rows[k] for k in ordered if k in persisted])
        persisted.update(ordered)
        dirty.clear()
