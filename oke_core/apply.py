"""Applying deliveries to results: versions, corrections, exceptions, grading and the lifecycle steps.

``ResultApplier`` is the part of the Ingestor that changes a ``ResultRecord`` (kept in memory,
written once per flush) and logs every state transition. It runs once per message, so it builds
plain tuples and reads attributes into locals instead of creating objects per step.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

import orjson
from mypy_extensions import mypyc_attr

from oke_core.grading import AS_DELIVERED, CutScoreError, convert, passes
from oke_core.lifecycle import (
    ALLOWED,
    ESTABLISHED,
    PENDING,
    IllegalTransition,
    ResultRecord,
    Status,
    decide,
    establishment_rule,
    unscored,
)
from oke_core.planning import Association
from oke_core.quarantine import nl_consumer

if TYPE_CHECKING:
    from oke_core.calendar import WorkingDays
    from oke_core.okelog import OkeLog
    from oke_core.planning import Planning
    from oke_core.policy import Policy
    from oke_core.store.pending import PendingWrites

_SORTED = orjson.OPT_SORT_KEYS
_WITHDRAWN = Status.WITHDRAWN
_COMPLETED = "completed"
_APPEAL_OR_DEFINITIVE = (Status.APPEAL_WINDOW, Status.DEFINITIVE)
_UNREGISTERED = ("", Status.RECEIVED)
_NOTHING: frozenset[str] = frozenset()


def dumps(obj: Any) -> str:
    return orjson.dumps(obj, option=_SORTED).decode()


@mypyc_attr(allow_interpreted_subclasses=True)  # so that Ingestor can allow them
class ResultApplier:
    """Result application and lifecycle driving; mixed into ``Ingestor`` (which owns the state)."""

    planning: Planning
    policy: Policy
    cal: WorkingDays
    log: OkeLog
    today: date | None
    results: dict[str, ResultRecord]
    by_version: dict[str, set[str]]
    wake: dict[date, set[str]]
    cut_scores: dict[str, dict[str, Any]]
    cases: dict[str, dict[str, Any]]
    early_complaints: dict[str, list[str]]
    final_versions: set[str]
    irregular_offerings: set[str]
    approved_offerings: dict[str, str]
    _pending: PendingWrites
    _dirty: set[str]
    _by_offering: dict[str, list[str]] | None
    _no_irregularity: frozenset[str]
    _r_seq: int

    def _now(self) -> str:  # pragma: no cover - provided by Ingestor
        raise NotImplementedError

    def _day(self, text: str) -> date:  # pragma: no cover - provided by Ingestor
        raise NotImplementedError

    # -- a flow-3/5 delivery ----------------------------------------------------------------------
    def _new_record(self, assoc: Association, day: date) -> ResultRecord:
        offering = self.planning.offerings[assoc.offering_id]
        comp = self.planning.components[offering.component_id]
        rec = ResultRecord(
            association_id=assoc.association_id,
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
        self.results[assoc.association_id] = rec
        self.by_version[rec.exam_version_id].add(assoc.association_id)
        if self.early_complaints:
            waiting = self.early_complaints.pop(assoc.association_id, ())
            # a complaint filed before the result blocks its establishment like any other
            rec.open_complaints = sum(1 for c in waiting if self.cases[c]["status"] == "open")
        return rec

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
        seq: int,
    ) -> tuple[str, str | None, int | None, dict[str, Any] | None]:
        """Register one delivery as a new result version: (status, reason, version, extra detail).

        The extra detail goes into the message's own log entry (a correction names the version it
        replaces; a held correction says why), so a correction costs no log entry of its own.
        """
        res = body.get("result")
        if not isinstance(res, dict):
            return "applied", "no-result", None, None
        aid = assoc.association_id
        rec = self.results.get(aid)
        if rec is not None and digest == rec.current_digest:
            return "duplicate", "same-content", rec.current_version, None
        nl = nl_consumer(res)
        if nl is None and rec is not None:  # merge-patch: consumers left out -> unchanged
            attendance, raw, max_raw = rec.attendance, rec.raw_score, rec.max_raw_score
            final, assessor_id, assessor_code, test_date = (
                rec.final,
                rec.assessor_id,
                rec.assessor_code,
                rec.test_date,
            )
            irregularities = None
        else:
            get = (nl or {}).get
            attendance, raw, max_raw = get("attendance"), get("rawScore"), get("maxRawScore")
            final, assessor_id, assessor_code = bool(get("final")), get("assessorId"), get("assessorCode")
            test_date, irregularities = get("testDate"), get("irregularities")
        final = bool(final)
        if rec is None:
            rec = self._new_record(assoc, day)
        state = res.get("state")
        score = res.get("score", rec.delivered_score)
        passed = res.get("pass", rec.delivered_pass)
        rd = res.get("resultDate")
        version = rec.versions + 1
        rec.versions = version
        self._dirty.add(aid)
        rec.updated_at = stamp
        prior_state = rec.result_state
        disposition = "current"
        if prior_state == _COMPLETED and state != _COMPLETED:
            disposition = "ignored-out-of-order"
        correction = prior_state == _COMPLETED and state == _COMPLETED
        status = rec.status
        held = correction and (
            status == _WITHDRAWN
            or (
                status in ESTABLISHED
                and self.policy.correction_after_definitive == "hold"
                and not rec.correction_expected
            )
        )
        if held:
            disposition = "held"
        self._pending.versions.append((seq, aid, version, mid, stamp, flow, disposition, str(state), text))
        if disposition == "ignored-out-of-order":
            return "applied", "late-attendance-ignored", version, None
        if held:
            rec.held_version = version
            # the message entry says so: reason correction-held, which version it would replace and why
            return (
                "applied",
                "correction-held",
                version,
                {
                    "replaces": rec.current_version,
                    "held": "withdrawn" if status == _WITHDRAWN else "policy:correction_after_definitive",
                },
            )
        replaced = rec.current_version
        if correction:
            if status in ESTABLISHED:
                self._transition(rec, Status.CORRECTED, stamp, mid, "correction-after-definitive")
                rec.definitive_on = rec.definitive_rule = rec.definitive_by = None
                rec.appeal_deadline = rec.closed_on = None
                rec.provisional_since = self.today
                self._restart_window(rec)
            elif rec.correction_expected and self.policy.complaint_upheld_restarts_window:
                rec.provisional_since = self.today
                self._restart_window(rec)
            rec.corrections += 1
            rec.correction_expected = False
        rec.current_version = version
        rec.current_seq = seq
        rec.current_digest = digest
        rec.last_message_id = mid
        rec.result_state = str(state)
        rec.attendance = attendance
        rec.raw_score = raw
        rec.max_raw_score = max_raw
        rec.delivered_score = score
        rec.delivered_pass = passed
        rec.final = final
        rec.assessor_id = assessor_id
        rec.assessor_code = assessor_code
        rec.test_date = test_date
        rec.result_date = date.fromisoformat(rd[:10]) if isinstance(rd, str) and len(rd) >= 10 else None
        if state == _COMPLETED:
            if rec.scored_on is None:
                policy = self.policy
                rec.scored_on = day
                rec.marked_on = marked = rec.result_date or day
                rec.marking_late = marked > rec.marking_deadline
                rec.import_deadline = deadline = self.cal.add(marked, policy.import_working_days)
                rec.imported_on = day
                rec.import_late = day > deadline
                if policy.establishment_rule == "fixed_working_days_after_sitting":
                    rec.establishment_due = self.cal.add(
                        rec.sitting_date, policy.establishment_working_days or 0
                    )
            self._set_exceptions(rec, irregularities, body)
            self._grade(rec)
            if rec.variant == 2:
                self._supplier_version(rec, stamp, mid)
        self._settle(rec, stamp, mid, "delivery")
        if correction:
            return "applied", "correction", version, {"replaces": replaced}
        return "applied", None, version, None

    def _supplier_version(self, rec: ResultRecord, stamp: str, mid: str) -> None:
        """Variant 2: the first final result of an exam version tells KRS that the supplier knows its
        cut score, which settles the version's absences (``supplier_settled``), earlier and later."""
        evid = rec.exam_version_id
        if rec.final and evid not in self.final_versions:
            self.final_versions.add(evid)
            for aid in sorted(self.by_version.get(evid, ())):
                other = self.results[aid]
                if other is not rec and other.status in PENDING and self._absence_known(other):
                    self._dirty.add(aid)
                    self._settle(other, stamp, mid, "supplier-final-version")
        elif evid in self.final_versions:
            self._absence_known(rec)

    def _absence_known(self, rec: ResultRecord) -> bool:
        """Note the day on a completed absence whose version's cut score is now known; True if noted."""
        if rec.result_state == _COMPLETED and unscored(rec) and rec.cut_score_known_on is None:
            rec.cut_score_known_on = self.today
            return True
        return False

    def _register(self, rec: ResultRecord, today: date) -> None:
        """Registered as "voorlopig" (published): the complaint window runs from today."""
        rec.provisional_since = today
        self._restart_window(rec)

    def _restart_window(self, rec: ResultRecord) -> None:
        days = self.policy.complaint_window_working_days
        if days and rec.provisional_since is not None:
            rec.complaint_deadline = self.cal.add(rec.provisional_since, days)

    def _irregular(self, text: Any) -> bool:
        """True for a real irregularity; "Geen bijzonderheden." and the like (policy list) are not."""
        if not isinstance(text, str) or not text.strip():
            return False
        return text.strip().rstrip(".!").strip().lower() not in self._no_irregularity

    def _set_exceptions(self, rec: ResultRecord, irregularities: Any, body: dict[str, Any]) -> None:
        found = []
        if irregularities is not None and self._irregular(irregularities):
            found.append("irregularities")
        if rec.test_date:
            offering = self.planning.offerings[rec.offering_id]
            try:
                tday = self._day(rec.test_date)
                if not offering.sitting_date <= tday <= offering.end_date:
                    found.append("date-mismatch")
            except ValueError:
                found.append("date-mismatch")
        if (
            (rec.raw_score is not None or rec.delivered_score is not None)
            and not (rec.assessor_id or rec.assessor_code)
            and self.planning.components[rec.component_id].assessor_required
        ):
            found.append("assessor-missing")
        if "consumers" in body:
            attempt = (nl_consumer(body) or {}).get("attempt")
            if isinstance(attempt, int) and attempt != rec.attempt:
                found.append("date-mismatch")
        if rec.offering_id in self.irregular_offerings:
            found.append("session-irregularities")
        new = ",".join(sorted(set(found))) if found else None
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
        if not rec.needs_cut_score or rec.raw_score is None:
            comp = self.planning.components[rec.component_id]
            rec.grade = rec.delivered_score
            rec.passed = passes(
                comp.result_value_type, rec.delivered_score, comp.pass_from, rec.delivered_pass
            )
            rec.grade_method = "as-delivered"
            if rec.needs_cut_score and rec.raw_score is None:
                # nothing to convert, but it still waits for its version's cut score (lifecycle
                # "cut-score-known"): one released before this delivery arrived counts as known now
                rec.grade_method = "no-raw-score"
                cut = self.cut_scores.get(rec.exam_version_id)
                if cut is not None and cut["valid"]:
                    self._cut_score_known(rec, cut)
            return
        cut = self.cut_scores.get(rec.exam_version_id)
        if cut is None or not cut["valid"]:
            rec.grade = rec.passed = rec.grade_method = None
            return
        comp = self.planning.components[rec.component_id]
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
        self._cut_score_known(rec, cut)

    def _cut_score_known(self, rec: ResultRecord, cut: dict[str, Any]) -> None:
        rec.cut_score = cut["cut_score"]
        if rec.cut_score_known_on is None:
            rec.cut_score_known_on = self.today

    # -- lifecycle --------------------------------------------------------------------------------
    def _settle(self, rec: ResultRecord, at: str, mid: str | None, cause: str) -> None:
        """Move the record to the state its facts call for: one logged transition, two on establishment.

        Only establishment is followed by another step (definitive -> appeal window), and a result
        that could be established on first registration is logged as provisional first.
        """
        today = self.today or rec.received_on
        policy = self.policy
        for _ in range(4):
            status = rec.status
            if rec.provisional_since is None and rec.result_state == _COMPLETED and status in _UNREGISTERED:
                self._register(rec, today)  # before deciding: the windows start now
            target, checks = decide(rec, policy, today)
            if target == status:
                break
            detail = None
            rule = cause
            if checks is not None:
                rule_name, by = establishment_rule(rec, policy)
                rule = f"establishment:{rule_name}"
                detail = dumps({"checks": [c.as_dict() for c in checks], "by": by})
            if not self._transition(rec, target, at, mid, rule, detail):
                break
            if target != Status.DEFINITIVE and status not in _UNREGISTERED:
                break
        self._schedule(rec)

    def _transition(
        self, rec: ResultRecord, target: str, at: str, mid: str | None, rule: str, detail: str | None = None
    ) -> bool:
        # plain text: rows are pickled for the writer process, which imports nothing of oke_core (a
        # Status member would go as a reference to its class)
        target = str(target)
        before = rec.status
        if target not in ALLOWED.get(before, _NOTHING):
            self.log.append(
                at,
                "error",
                "KRS",
                rule="illegal-transition",
                message_id=mid,
                association_id=rec.association_id,
                before=before,
                after=target,
                reason=str(IllegalTransition(before, target)),
            )
            return False
        today = self.today or rec.received_on
        actor = "KRS"
        policy = self.policy
        if target in PENDING:
            if rec.provisional_since is None:
                self._register(rec, today)
            if policy.notify_students and (target == Status.CORRECTED or rec.notified_on is None):
                # the student is told (e-mail) in the same step: the transition carries the notification
                rec.notified_on = today
                detail = dumps(
                    {"notify": "e-mail", "student_id": rec.student_id, "template": "nieuw-resultaat"}
                )
        elif target == Status.DEFINITIVE:
            rule_name, by = establishment_rule(rec, policy)
            rec.definitive_on, rec.definitive_rule, rec.definitive_by = today, rule_name, by
            actor = by
            days = policy.appeal_window_working_days
            rec.appeal_deadline = self.cal.add(today, days) if days else None
        elif target == Status.CLOSED:
            rec.closed_on = today
        elif target == _WITHDRAWN:
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
        return True

    def _schedule(self, rec: ResultRecord) -> None:
        """Remember the next working day on which time alone can change this result's state."""
        today = self.today or rec.received_on
        status = rec.status
        wake_day = None
        if status in PENDING:
            deadline = rec.complaint_deadline
            if deadline is not None and today <= deadline:
                wake_day = self.cal.add(deadline, 1)
            due = rec.establishment_due
            if due is not None and today < due and (wake_day is None or due < wake_day):
                wake_day = due
        elif status in _APPEAL_OR_DEFINITIVE:
            deadline = rec.appeal_deadline
            if deadline is not None and today <= deadline:
                wake_day = self.cal.add(deadline, 1)
        if wake_day is not None:
            self.wake[wake_day].add(rec.association_id)

    # -- the public face for the event handlers (events.py) ---------------------------------------
    def settle(self, rec: ResultRecord, at: str, mid: str | None, cause: str) -> None:
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

    # -- flow 4 -----------------------------------------------------------------------------------
    def _apply_session_report(
        self, body: dict[str, Any], offering_id: str, mid: str, stamp: str, text: str
    ) -> None:
        nl = nl_consumer(body) or {}
        irregular = nl.get("irregularities")
        self._pending.reports.append(
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
                if rec is None or rec.status in ESTABLISHED or rec.status == _WITHDRAWN:
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
