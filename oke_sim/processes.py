"""The exam year as SimPy processes: planning, sittings, marking, export, cut scores, complaints.

SimPy works at the level of periods, sessions, exporter runs and cut-score releases; individual
deliveries are scheduled onto the emitter's heap, which keeps the year fast and memory flat.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
import simpy

from oke_sim.bodies import (
    COMPLAINT_REASONS,
    CORRECTION_COMMENT,
    NO_IRREGULARITIES,
    SESSION_IRREGULARITIES,
    STUDENT_IRREGULARITIES,
    add_scoring,
    flow3_body,
    flow4_body,
    participant_consumer,
    session_template,
)
from oke_sim.emit import SEQ_BITS, Delivery, Emitter
from oke_sim.faults import (
    ATTENDANCE_FAULTS,
    EXPECTED,
    FOLLOW_UP_FAULTS,
    PLAIN_FAULTS,
    REJECTED,
    REPORT_FAULTS,
    SCORED_FAULTS,
    DefectCatalogue,
    break_json,
    draw_fault,
)
from oke_sim.grading import convert
from oke_sim.institution import Assessor, Component, ExamVersion, Institution, Student, draw_raw_score
from oke_sim.rng import Streams, Weighted, new_uuid, randint
from oke_sim.workdays import DAY, SimCalendar, clock_seconds

ATTENDANCE = ("present", "notPresent", "notStarted", "notFinished")


@dataclass(slots=True)
class Offering:
    offering_id: str
    component: Component
    version: ExamVersion
    name: str
    start: int
    end: int
    location_code: str
    capacity: int
    period: str
    assessor: Assessor | None
    assocs: list[Assoc] = field(default_factory=list)
    template: dict[str, Any] | None = None  # the nl-test-admin fields of every message (bodies.py)
    sitting_date: str = ""


@dataclass(slots=True)
class Assoc:
    index: int
    association_id: str
    offering: Offering
    student: Student
    attempt: int
    original_id: str | None
    canceled: bool
    attendance: str | None = None
    irregularity: str | None = None
    raw_true: int | None = None
    delivered_raw: int | None = None
    marked_at: int | None = None
    exported_at: int | None = None
    pending: int = 0
    stage: str = "planned"  # planned, sat, awaiting, eligible, absent, lost, closed
    corrections: int = 0
    lost: bool = False
    held: Item | None = None
    scored_once: bool = False


@dataclass(slots=True)
class Item:
    """Work for a test system's exporter: one delivery (plus any fault) when it is ready."""

    kind: str  # attendance, absent, score, correction, definitive, report
    offering: Offering
    assoc: Assoc | None = None
    fault: str | None = None
    delta: int = 0
    comment: str | None = None


@dataclass(slots=True)
class TestSystem:
    key: str
    name: str
    variant: int
    attendance_first: bool
    run_times: list[int]
    export_delay: Weighted
    outages: set[int]
    publication_delay: list[int]
    ready: list[int] = field(default_factory=list)  # heap of `ready time << SEQ_BITS | seq` (emit.py)
    items: dict[int, Item] = field(default_factory=dict)


class Year:
    """One simulated exam year of one institution."""

    def __init__(
        self,
        params: dict[str, Any],
        inst: Institution,
        cal: SimCalendar,
        emitter: Emitter,
        streams: Streams,
        planning_dir: Path,
        until: int,
        defects: DefectCatalogue,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.p = params
        self.inst = inst
        self.cal = cal
        self.out = emitter
        self.s = streams
        self.until = until
        self.progress = progress
        self.env = simpy.Environment()
        self.defects = defects
        self.rates = params["faults"]
        self.seq = 0
        self.assoc_count = 0
        self.open: dict[int, Assoc] = {}
        self.resit_pool: list[tuple[Component, Student, int, str, ExamVersion]] = []
        self.tracked: list[ExamVersion] = []
        self.fallback_day: dict[str, int] = {}
        self.registered: dict[str, int] = {}
        self.assessor_turn: dict[str, int] = {}
        self.all_offering_ids: list[str] = []
        self._offerings_file: IO[bytes] = open(planning_dir / "offerings.jsonl", "wb", buffering=1 << 20)  # noqa: SIM115
        self._assocs_file: IO[bytes] = open(planning_dir / "associations.jsonl", "wb", buffering=1 << 20)  # noqa: SIM115
        self.systems: dict[str, TestSystem] = {}
        for key in sorted(params["test_systems"]):
            ts = params["test_systems"][key]
            orng = streams(f"outage:{key}")
            outages = {cal.day_of_iso(d) for d in ts["outage_days"]}
            outages |= {d for d in range(until // DAY + 1) if orng.random() < ts["outage_rate"]}
            self.systems[key] = TestSystem(
                key=key,
                name=ts["name"],
                variant=ts["variant"],
                attendance_first=ts["export_mode"] == "attendance_first",
                run_times=sorted(clock_seconds(t) for t in ts["run_times"]),
                export_delay=Weighted(ts["export_delay_working_days"]),
                outages=outages,
                publication_delay=ts["publication_delay_working_days"],
            )
        for comp in inst.components:
            for v in comp.versions:
                if comp.cut_score:
                    self.tracked.append(v)
                else:
                    v.released_at = 0  # a fixed norm is known before the sitting
        self.w_attendance = Weighted({k: params["attendance"][k] for k in ATTENDANCE})
        self.w_on_time = Weighted(params["marking"]["on_time_working_days"])
        self.r_sit = streams("sitting")
        self.r_mark = streams("marking")
        self.r_export = streams("export")
        self.r_fault = streams("faults")
        self.r_cases = streams("cases")
        self.r_board = streams("exam-board")
        self.r_plan = streams("planning")
        self.r_ids = streams("ids")

    # ------------------------------------------------------------------ helpers
    def _at(self, day: int, rng_hours: tuple[int, int] = (8 * 3600, 17 * 3600)) -> int:
        return day * DAY + randint(self.r_cases, *rng_hours)

    def _queue(self, ts: TestSystem, ready: int, item: Item) -> None:
        self.seq += 1
        key = ready << SEQ_BITS | self.seq
        ts.items[key] = item
        heapq.heappush(ts.ready, key)

    def _system(self, comp: Component) -> TestSystem:
        return self.systems[comp.test_system]

    def _pending(self, a: Assoc, item: Item, ready: int) -> None:
        a.pending += 1
        self._queue(self._system(a.offering.component), ready, item)

    # ------------------------------------------------------------------ planning
    def planner(self, period: dict[str, Any]) -> Any:
        cal = self.cal
        start_day = cal.day_of_iso(period["exam_start"])
        window = cal.working_days_in(start_day, cal.day_of_iso(period["exam_end"]))
        reg_day = cal.sub_working_days(start_day, self.p["calendar"]["registration_lead_working_days"])
        t = max(reg_day * DAY + 7 * 3600, self.env.now)
        yield self.env.timeout(t - self.env.now)
        if not window:
            return
        groups: dict[tuple[int, int], list[tuple[Student, int, str | None]]] = {}
        comps: dict[int, Component] = {}
        for comp, student in self.inst.takers.get(period["name"], []):
            groups.setdefault((comp.index, -1), []).append((student, 1, None))
            comps[comp.index] = comp
        for comp, student, attempt, root, prev in self.resit_pool:
            groups.setdefault((comp.index, comp.versions.index(prev)), []).append((student, attempt, root))
            comps[comp.index] = comp
        self.resit_pool = []
        times = [clock_seconds(x) for x in self.p["calendar"]["session_times"]]
        slot = 0
        for key in sorted(groups):
            ci, prev_index = key
            comp = comps[ci]
            people = groups[key]
            self.r_plan.shuffle(people)
            for k in range(math.ceil(len(people) / comp.capacity)):
                chunk = people[k * comp.capacity : (k + 1) * comp.capacity]
                if prev_index >= 0:  # a resit gets the next version, so the student sees new questions
                    version = comp.versions[(prev_index + 1) % len(comp.versions)]
                else:
                    version = comp.versions[k % len(comp.versions)]
                day = window[(ci * 3 + slot) % len(window)]
                start = day * DAY + times[(slot // len(window)) % len(times)]
                slot += 1
                self._plan_session(comp, version, period["name"], k + 1, start, chunk, prev_index >= 0)

    def _plan_session(
        self,
        comp: Component,
        version: ExamVersion,
        period: str,
        number: int,
        start: int,
        people: list[tuple[Student, int, str | None]],
        resit: bool,
    ) -> None:
        rid = self.r_ids
        assessor = None
        if comp.variant == 1:
            pool = self.inst.assessors[comp.college.code]
            turn = self.assessor_turn.get(comp.college.code, 0)
            assessor = pool[turn % len(pool)]
            self.assessor_turn[comp.college.code] = turn + 1
        label = "herkansing" if resit else "zitting"
        off = Offering(
            offering_id=new_uuid(rid),
            component=comp,
            version=version,
            name=f"{version.code} {period} {label} {number}",
            start=start,
            end=start + comp.duration_minutes * 60,
            location_code=f"{comp.college.code}-{1 + (number - 1) % 12:02d}",
            capacity=comp.capacity,
            period=period,
            assessor=assessor,
        )
        self.all_offering_ids.append(off.offering_id)
        self._offerings_file.write(
            orjson.dumps(
                {
                    "offering_id": off.offering_id,
                    "component_id": comp.component_id,
                    "exam_version_id": version.exam_version_id,
                    "name": off.name,
                    "start": self.cal.iso(off.start),
                    "end": self.cal.iso(off.end),
                    "location_code": off.location_code,
                    "capacity": off.capacity,
                    "period": period,
                    "state": "active",
                },
                option=orjson.OPT_SORT_KEYS,
            )
            + b"\n"
        )
        dereg = self.p["attendance"]["deregistered_share"]
        for student, attempt, root in people:
            a = Assoc(
                index=self.assoc_count,
                association_id=new_uuid(rid),
                offering=off,
                student=student,
                attempt=attempt,
                original_id=root,
                canceled=self.r_plan.random() < dereg,
            )
            self.assoc_count += 1
            off.assocs.append(a)
            self.open[a.index] = a
            self._assocs_file.write(
                orjson.dumps(
                    {
                        "association_id": a.association_id,
                        "offering_id": off.offering_id,
                        "student_id": student.student_id,
                        "attempt": attempt,
                        "original_association_id": root,
                        "state": "canceled" if a.canceled else "associated",
                    },
                    option=orjson.OPT_SORT_KEYS,
                )
                + b"\n"
            )
        self.registered[version.exam_version_id] = self.registered.get(version.exam_version_id, 0) + len(
            people
        )
        self.env.process(self.session(off))

    # ------------------------------------------------------------------ sitting and marking
    def session(self, off: Offering) -> Any:
        yield self.env.timeout(off.end - self.env.now)
        self.sitting_done(off)

    def sitting_done(self, off: Offering) -> None:
        """Attendance, raw scores, marking and export times for everyone in the session."""
        p = self.p
        rs, rm, rf = self.r_sit, self.r_mark, self.r_fault
        comp, version = off.component, off.version
        ts = self._system(comp)
        sit_day = off.start // DAY
        if version.exam_version_id not in self.fallback_day:
            self.fallback_day[version.exam_version_id] = self.cal.add_working_days(
                sit_day, p["cut_scores"]["fallback_working_days"]
            )
        marking = p["marking"]
        hours = (clock_seconds(marking["hours"][0]), clock_seconds(marking["hours"][1]))
        noise = p["scores"]["item_noise_sd_percent"]
        irr_share = p["session_reports"]["student_irregularity_share"]
        rates = self.rates
        export_deadline = p["export"]["deadline_working_days"]
        for a in off.assocs:
            a.stage = "sat"
            a.attendance = "notPresent" if a.canceled else self.w_attendance.draw(rs)
            if rs.random() < irr_share and a.attendance != "notPresent":
                a.irregularity = rs.choice(STUDENT_IRREGULARITIES)
            if a.attendance != "present":
                self._pending(a, Item("absent", off, a, draw_fault(rf, rates, PLAIN_FAULTS)), off.end)
                continue
            a.raw_true = draw_raw_score(rs, a.student, version, noise)
            if ts.attendance_first:
                item = Item("attendance", off, a, draw_fault(rf, rates, ATTENDANCE_FAULTS))
                if item.fault == "out_of_order":
                    a.held = item
                    a.pending += 1
                else:
                    self._pending(a, item, off.end)
            if comp.variant == 1:
                if rm.random() < marking["late_share"]:
                    days = marking["deadline_working_days"] + randint(rm, *marking["late_extra_working_days"])
                else:
                    days = int(self.w_on_time.draw(rm))
            else:
                days = randint(rm, *marking["supplier_working_days"])
            marked_day = self.cal.add_working_days(sit_day, days)
            a.marked_at = marked_day * DAY + randint(rm, *hours)
            if comp.cut_score:
                heapq.heappush(version.marked_times, a.marked_at)
            item = Item("score", off, a, draw_fault(rf, rates, SCORED_FAULTS))
            if item.fault == "late_delivery":
                late = export_deadline + randint(rf, *rates["late_extra_working_days"])
                ready = self.cal.add_working_days(marked_day, late) * DAY + randint(rm, *hours)
            else:
                k = int(ts.export_delay.draw(self.r_export))
                ready = (
                    a.marked_at
                    if k == 0
                    else self.cal.add_working_days(marked_day, k) * DAY + randint(rm, *hours)
                )
            self._pending(a, item, ready)
        if p["session_reports"]["send"]:
            irregular = rs.random() < p["session_reports"]["irregularity_share"]
            text = rs.choice(SESSION_IRREGULARITIES) if irregular else NO_IRREGULARITIES
            report = Item("report", off, None, draw_fault(rf, rates, REPORT_FAULTS), comment=text)
            reported = off.end + randint(rs, *p["session_reports"]["delay_hours"]) * 3600
            self._queue(ts, reported, report)
            if irregular:
                # The exam board reviews the proces-verbaal and approves the deviation (seed "vaststellen
                # resultaat": exceptions "door de juiste rol goedgekeurd") a few working days later.
                rb = self.r_board
                days = randint(rb, *p["session_reports"]["approval_working_days"])
                approved = self.cal.add_working_days(reported // DAY, days) * DAY + randint(
                    rb, 9 * 3600, 16 * 3600
                )
                self.out.event(
                    approved,
                    {
                        "type": "exception_approved",
                        "offering_id": off.offering_id,
                        "decided_by": "examencommissie",
                    },
                )
        off.assocs = []  # the participations live on in their items; let the session go

    # ------------------------------------------------------------------ export
    def exporter(self, ts: TestSystem) -> Any:
        env = self.env
        rng = self.r_export
        first_day = int(env.now) // DAY  # the clock is whole seconds: every timeout is an int
        for day in range(first_day, self.until // DAY + 1):
            for run in ts.run_times:
                t = day * DAY + run
                if t <= env.now:
                    continue
                if t > self.until:
                    return
                yield env.timeout(t - env.now)
                if day in ts.outages or not ts.ready:
                    continue
                sent = t
                ready, items, pop, draw = ts.ready, ts.items, heapq.heappop, rng.random
                limit = (t + 1) << SEQ_BITS
                deliver = self.deliver
                while ready and ready[0] < limit:
                    item = items.pop(pop(ready))
                    sent += 1 + int(draw() * 3)  # randint(rng, 1, 3), inlined
                    deliver(ts, item, sent)

    def _body(self, item: Item, sent: int) -> dict[str, Any]:
        a = item.assoc
        assert a is not None
        off = item.offering
        cal = self.cal
        if off.template is None:  # once per session: what all its messages share
            off.template = session_template(off.name, cal.iso(off.end))
            off.sitting_date = cal.date(off.start)
        consumer = participant_consumer(off.template, a.attendance, a.irregularity)  # type: ignore[arg-type]
        person, offering = a.student.student_id, off.offering_id
        kind = item.kind
        if kind == "attendance":
            return flow3_body(person, offering, "in progress", off.sitting_date, consumer)
        if kind == "absent":
            consumer["final"] = False
            return flow3_body(person, offering, "completed", off.sitting_date, consumer)
        comp, version = off.component, off.version
        raw = a.raw_true
        assert raw is not None
        doc = (new_uuid(self.r_ids), f"Beoordelingsformulier {version.code} {a.student.student_number}.pdf")
        released = version.released_at is not None and version.released_at <= sent
        comment = item.comment
        if comp.variant == 2 and released:
            score, passed = convert(comp.result_value_type, raw, version.max_raw_score, version.cut_score)
            add_scoring(consumer, raw, version.max_raw_score, None, True, doc)
            return flow3_body(
                person,
                offering,
                "completed",
                cal.date(sent),
                consumer,
                "passed" if passed else "failed",
                score,
                comment,
            )
        assessor = (off.assessor.assessor_id, off.assessor.assessor_code) if off.assessor else None
        add_scoring(consumer, raw, version.max_raw_score, assessor, False, doc)
        result_date = cal.date(sent) if kind != "score" else cal.date(a.marked_at or sent)
        if comp.cut_score:  # cut score unknown to the sender: a provisional conversion, pass unknown
            score, _ = convert(comp.result_value_type, raw, version.max_raw_score, version.provisional_cut)
            return flow3_body(person, offering, "completed", result_date, consumer, "unknown", score, comment)
        score, passed = convert(comp.result_value_type, raw, version.max_raw_score, version.cut_score)
        return flow3_body(
            person,
            offering,
            "completed",
            result_date,
            consumer,
            "passed" if passed else "failed",
            score,
            comment,
        )

    def deliver(self, ts: TestSystem, item: Item, sent: int) -> None:
        rf = self.r_fault
        rates = self.rates
        if item.kind == "report":
            off = item.offering
            body = flow4_body(
                irregularities=item.comment or NO_IRREGULARITIES,
                document_id=new_uuid(self.r_ids),
                document_name=f"Zittingsverslag {off.name}.pdf",
            )
            path = f"/offerings/{off.offering_id}"
            extra = {"offering_id": off.offering_id}
            if item.fault == "broken_json":
                text, style = break_json(body, rf)
                self.out.send(
                    sent,
                    Delivery(
                        "PATCH",
                        path,
                        body_text=text,
                        flow=4,
                        fault="broken_json",
                        expected=EXPECTED["broken_json"],
                        truth_extra={**extra, "detail": style},
                    ),
                )
                if rf.random() < rates["repair_share"]:
                    item.fault = None
                    self._queue(ts, self._repair_time(sent), item)
                return
            d = self.out.send(sent, Delivery("PATCH", path, body, flow=4))
            if item.fault == "duplicate":
                self._duplicate(d, sent, extra)
            return
        a = item.assoc
        assert a is not None
        if item.kind == "correction":
            a.raw_true = min(item.offering.version.max_raw_score, (a.raw_true or 0) + item.delta)
        body = self._body(item, sent)
        path = f"/associations/{a.association_id}"
        extra = {"association_id": a.association_id}
        fault = item.fault
        if fault in REJECTED:
            self._reject(ts, item, a, body, path, sent, fault, extra)
            return
        d = Delivery("PATCH", path, body)
        if fault == "late_delivery":
            d.fault, d.expected, d.truth_extra = fault, EXPECTED[fault], extra
        self.out.send(sent, d)
        if fault == "duplicate":
            self._duplicate(d, sent, extra)
        self.delivered(item, a, sent)

    def _duplicate(self, d: Delivery, sent: int, extra: dict[str, Any]) -> None:
        delay = randint(self.r_fault, *self.rates["duplicate_delay_minutes"]) * 60
        self.out.send(
            sent + delay,
            Delivery(
                d.method,
                d.path,
                d.body,
                flow=d.flow,
                fault="duplicate",
                expected="duplicate",
                truth_extra=extra,
                original=d,
            ),
        )

    def _repair_time(self, sent: int) -> int:
        days = randint(self.r_fault, *self.rates["repair_delay_working_days"])
        return self.cal.add_working_days(sent // DAY, days) * DAY + randint(self.r_fault, 8 * 3600, 16 * 3600)

    def _reject(
        self,
        ts: TestSystem,
        item: Item,
        a: Assoc,
        body: dict[str, Any],
        path: str,
        sent: int,
        fault: str,
        extra: dict[str, Any],
    ) -> None:
        rf = self.r_fault
        extra = dict(extra)
        d = Delivery("PATCH", path, flow=3, fault=fault, expected=EXPECTED[fault], truth_extra=extra)
        if fault == "broken_json":
            d.body_text, extra["detail"] = break_json(body, rf)
        elif fault == "schema_violation":
            applied = self.defects.apply(body, rf)
            if applied is None:  # no defect fits this body: deliver it as it is
                item.fault = None
                self.deliver(ts, item, sent)
                return
            d.body, extra["detail"] = applied
        elif fault == "unknown_association":
            d.path = f"/associations/{new_uuid(rf)}"
            d.body = body
        elif fault == "wrong_student":
            students = self.inst.students
            other = (
                students[(a.student.index + 1 + rf.randrange(len(students) - 1)) % len(students)]
                if len(students) > 1
                else a.student
            )
            d.body = {**body, "person": other.student_id}
            extra["detail"] = other.student_id
        elif fault == "wrong_component":
            others = [o for o in self.all_offering_ids if o != a.offering.offering_id]
            d.body = {**body, "offering": rf.choice(others) if others else new_uuid(rf)}
            extra["detail"] = d.body["offering"]
        d.truth_extra = extra
        self.out.send(sent, d)
        if item.kind == "correction":  # the TA's own state already changed; resend computes from it
            a.raw_true = max(0, (a.raw_true or 0) - item.delta)
        if rf.random() < self.rates["repair_share"]:
            item.fault = None
            self._queue(ts, self._repair_time(sent), item)
            return
        if item.kind == "correction":
            a.raw_true = min(item.offering.version.max_raw_score, (a.raw_true or 0) + item.delta)
        a.lost = True
        a.pending -= 1
        if a.held is not None:
            a.held = None
            a.pending -= 1
        if a.stage in ("sat", "awaiting") and item.kind in ("score", "absent", "definitive"):
            a.stage = "lost"
        self.maybe_close(a)

    # ------------------------------------------------------------------ after delivery
    def delivered(self, item: Item, a: Assoc, sent: int) -> None:
        a.pending -= 1
        kind = item.kind
        if kind == "attendance":
            self.maybe_close(a)
            return
        if kind == "absent":
            a.exported_at = sent
            a.stage = "absent"
            self._resit_candidate(a, sent)
            self.maybe_close(a)
            return
        a.delivered_raw = a.raw_true
        if kind == "correction":
            a.corrections += 1
        if kind == "score" and not a.scored_once:
            a.scored_once = True
            a.exported_at = sent
            if a.held is not None:
                held, a.held = a.held, None
                delay = randint(self.r_fault, *self.rates["out_of_order_delay_minutes"]) * 60
                self.out.send(
                    sent + delay,
                    Delivery(
                        "PATCH",
                        f"/associations/{a.association_id}",
                        self._body(held, sent),
                        fault="out_of_order",
                        expected="applied",
                        truth_extra={"association_id": a.association_id},
                    ),
                )
                a.pending -= 1
            self._after_result(a, sent)
        version = item.offering.version
        if a.stage == "sat":
            released = version.released_at is not None and version.released_at <= sent
            if released:
                self.eligible(a, sent)
            else:
                a.stage = "awaiting"
                version.awaiting.append(a)
        elif a.stage == "awaiting" and kind == "definitive":
            self.eligible(a, sent)
        self.maybe_close(a)

    def _after_result(self, a: Assoc, sent: int) -> None:
        """Inspection, complaint, spontaneous correction and early establishment, as the student sees it."""
        p = self.p
        rc = self.r_cases
        day = sent // DAY
        cal = self.cal
        version = a.offering.version
        passed = (a.raw_true or 0) >= version.cut_score
        comp_p = p["complaints"]
        window = comp_p["window_working_days"]
        if rc.random() < comp_p["inspection_rate"]:
            self.out.event(
                self._at(cal.add_working_days(day, randint(rc, 1, window))),
                {"type": "inspection_requested", "case_id": new_uuid(rc), "association_id": a.association_id},
            )
        if rc.random() < (comp_p["complaint_rate_passed"] if passed else comp_p["complaint_rate_failed"]):
            case = new_uuid(rc)
            filed_day = cal.add_working_days(day, randint(rc, 1, window))
            self.out.event(
                self._at(filed_day),
                {
                    "type": "complaint_filed",
                    "case_id": case,
                    "association_id": a.association_id,
                    "reason": rc.choice(COMPLAINT_REASONS),
                },
            )
            decided_day = cal.add_working_days(filed_day, randint(rc, *comp_p["handling_working_days"]))
            upheld = rc.random() < comp_p["upheld_share"]
            self.out.event(
                self._at(decided_day),
                {
                    "type": "complaint_decided",
                    "case_id": case,
                    "outcome": "upheld" if upheld else "rejected",
                    "decided_by": "examencommissie",
                },
            )
            if upheld:
                ready_day = cal.add_working_days(
                    decided_day, randint(rc, *comp_p["correction_delay_working_days"])
                )
                self._pending(
                    a,
                    Item(
                        "correction",
                        a.offering,
                        a,
                        draw_fault(self.r_fault, self.rates, FOLLOW_UP_FAULTS),
                        delta=randint(rc, *comp_p["correction_points"]),
                        comment=CORRECTION_COMMENT,
                    ),
                    self._at(ready_day),
                )
        corr = p["corrections"]
        if rc.random() < corr["spontaneous_rate"]:
            ready_day = cal.add_working_days(day, randint(rc, *corr["delay_working_days"]))
            self._pending(
                a,
                Item(
                    "correction",
                    a.offering,
                    a,
                    draw_fault(self.r_fault, self.rates, FOLLOW_UP_FAULTS),
                    delta=randint(rc, *corr["points"]),
                    comment=CORRECTION_COMMENT,
                ),
                self._at(ready_day),
            )
        early = p["early_establishment"]
        if rc.random() < early["rate"]:
            at_day = cal.add_working_days(day, randint(rc, *early["delay_working_days"]))
            self.out.event(
                self._at(at_day),
                {
                    "type": "early_establishment",
                    "association_id": a.association_id,
                    "decided_by": "examencommissie",
                },
            )

    def eligible(self, a: Assoc, t: int) -> None:
        """The result can be established: delivered and, for a cut-score exam, the cut score is known."""
        a.stage = "eligible"
        p = self.p
        rc = self.r_cases
        cal = self.cal
        ap = p["appeals"]
        version = a.offering.version
        passed = (a.raw_true or 0) >= version.cut_score
        definitive_day = max(
            t // DAY, cal.add_working_days(a.offering.start // DAY, ap["definitive_after_working_days"])
        )
        if rc.random() < (ap["rate_passed"] if passed else ap["rate_failed"]):
            case = new_uuid(rc)
            filed_day = cal.add_working_days(definitive_day, randint(rc, 1, ap["window_working_days"]))
            self.out.event(
                self._at(filed_day),
                {"type": "appeal_filed", "case_id": case, "association_id": a.association_id},
            )
            decided_day = cal.add_working_days(filed_day, randint(rc, *ap["handling_working_days"]))
            upheld = rc.random() < ap["upheld_share"]
            self.out.event(
                self._at(decided_day),
                {"type": "appeal_decided", "case_id": case, "outcome": "upheld" if upheld else "rejected"},
            )
            if upheld:
                delay = randint(rc, *p["complaints"]["correction_delay_working_days"])
                self._pending(
                    a,
                    Item(
                        "correction",
                        a.offering,
                        a,
                        draw_fault(self.r_fault, self.rates, FOLLOW_UP_FAULTS),
                        delta=randint(rc, *ap["correction_points"]),
                        comment=CORRECTION_COMMENT,
                    ),
                    self._at(cal.add_working_days(decided_day, delay)),
                )
        if not passed:
            self._resit_candidate(a, t)

    def _resit_candidate(self, a: Assoc, t: int) -> None:
        if (
            a.attempt >= self.p["resits"]["max_attempts"]
            or self.r_cases.random() >= self.p["resits"]["share"]
        ):
            return
        self.resit_pool.append(
            (
                a.offering.component,
                a.student,
                a.attempt + 1,
                a.original_id or a.association_id,
                a.offering.version,
            )
        )

    # ------------------------------------------------------------------ cut scores
    def daily(self) -> Any:
        env = self.env
        cs = self.p["cut_scores"]
        last_day = self.until // DAY
        first_day = int(env.now) // DAY  # the clock is whole seconds: every timeout is an int
        for day in range(first_day, last_day + 1):
            t = day * DAY
            if t > env.now:
                yield env.timeout(t - env.now)
            self.out.flush_until(t)
            for v in self.tracked:
                heap = v.marked_times
                while heap and heap[0] <= t:
                    heapq.heappop(heap)
                    v.marked_count += 1
                if not v.marked_count:
                    continue
                vid = v.exam_version_id
                threshold = min(cs["min_results"], max(1, math.ceil(0.7 * self.registered.get(vid, 0))))
                fallback = self.fallback_day.get(vid)
                if v.marked_count >= threshold or (fallback is not None and day >= fallback):
                    v.release_scheduled = True
                    rng = self.s(f"cut:{vid}")
                    delay = randint(rng, *cs["release_delay_working_days"])
                    if rng.random() < cs["late_share"]:
                        delay += randint(rng, *cs["late_extra_working_days"])
                    at = self.cal.add_working_days(day, delay) * DAY + randint(rng, 9 * 3600, 16 * 3600)
                    env.process(self.release(v, at))
            if any(v.release_scheduled for v in self.tracked):
                self.tracked = [v for v in self.tracked if not v.release_scheduled]
            if self.progress:
                self.progress(day - first_day + 1, last_day - first_day + 1)

    def release(self, v: ExamVersion, at: int) -> Any:
        if at > self.until:
            return
        yield self.env.timeout(at - self.env.now)
        v.released_at = at
        comp = v.component
        released_by = self.p["cut_scores"]["released_by"] if comp.variant == 1 else self._system(comp).name
        self.out.event(
            at,
            {
                "type": "cut_score_released",
                "exam_version_id": v.exam_version_id,
                "cut_score": v.cut_score,
                "released_by": released_by,
            },
        )
        waiting, v.awaiting = v.awaiting, []
        ts = self._system(comp)
        for a in waiting:
            if a.stage != "awaiting":
                continue
            if comp.variant == 2:
                days = randint(self.r_export, *ts.publication_delay)
                ready = self.cal.add_working_days(at // DAY, days) * DAY + randint(
                    self.r_export, 8 * 3600, 16 * 3600
                )
                self._pending(
                    a,
                    Item("definitive", a.offering, a, draw_fault(self.r_fault, self.rates, FOLLOW_UP_FAULTS)),
                    ready,
                )
            else:
                self.eligible(a, at)
                self.maybe_close(a)

    # ------------------------------------------------------------------ truth
    def maybe_close(self, a: Assoc) -> None:
        if a.pending == 0 and a.stage in ("eligible", "absent", "lost"):
            self._write_truth(a, complete=not a.lost)

    def _write_truth(self, a: Assoc, complete: bool) -> None:
        off = a.offering
        comp, v = off.component, off.version
        cal = self.cal
        present = a.attendance == "present"
        cut_known = v.released_at is not None and v.released_at <= self.until
        grade = passed = None
        raw = a.raw_true if present else None
        if present and raw is not None and cut_known:
            grade, passed = convert(comp.result_value_type, raw, v.max_raw_score, v.cut_score)
        self.out.truth(
            "result",
            {
                "association_id": a.association_id,
                "student_id": a.student.student_id,
                "component_id": comp.component_id,
                "exam_version_id": v.exam_version_id,
                "offering_id": off.offering_id,
                "attempt": a.attempt,
                "sitting_date": cal.date(off.start),
                "attendance": a.attendance,
                "raw_score": raw,
                "max_raw_score": v.max_raw_score,
                "cut_score": v.cut_score if comp.cut_score and cut_known else None,
                "grade": grade,
                "passed": passed,
                "marked_on": cal.date(a.marked_at)
                if a.marked_at is not None and a.marked_at <= self.until
                else None,
                "exported_on": cal.date(a.exported_at) if a.exported_at is not None else None,
                "variant": comp.variant,
                "complete": complete,
                "corrections": a.corrections,
                "deregistered": a.canceled,
            },
        )
        a.stage = "closed"
        del self.open[a.index]

    # ------------------------------------------------------------------ run
    def run(self) -> None:
        env = self.env
        for period in self.p["calendar"]["periods"]:
            env.process(self.planner(period))
        for ts in self.systems.values():
            env.process(self.exporter(ts))
        env.process(self.daily())
        env.run(until=self.until + 1)
        for a in sorted(self.open.values(), key=lambda a: a.index):
            if a.attendance is None:  # never sat within the simulated time
                a.attendance = "notKnown"
            self._write_truth(a, complete=False)
        self._offerings_file.close()
        self._assocs_file.close()
