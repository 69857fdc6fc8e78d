"""Ingest: envelope -> contract -> apply -> OKE-log; the one path for CLI, HTTP endpoint and Dagster assets.

Every received message ends up applied, duplicate or quarantined (with a reason code), so
``received == applied + duplicates + quarantined`` always. The current state of every result
lives in memory; writes are buffered and flushed in batches (one transaction, one executemany per
table, each dirty result written once), so the hot path never reads the database per message.
Result application lives in ``oke_core.apply``, the quarantine rules in ``oke_core.quarantine``.
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any

import orjson
from mypy_extensions import mypyc_attr
from sqlalchemy import Connection, select

from oke_core import events as event_handlers
from oke_core.apply import ResultApplier, dumps
from oke_core.calendar import local_date, parse_datetime
from oke_core.contract import Contract, Problem, RuleContext, Verdict, detect_flow
from oke_core.lifecycle import RECORD_FIELDS, ResultRecord
from oke_core.nul import NUL, NUL_STORED, nul_problems, storable
from oke_core.okelog import AFTER, DETAIL, REASON, RULE, OkeLog, midnight, utc_text
from oke_core.planning import Association, Planning
from oke_core.policy import Policy
from oke_core.quarantine import (
    QUARANTINE_REASONS,
    UTC_TAILS,
    Quarantined,
    bad_path,
    cross_check,
    envelope_problem,
    envelope_refusal,
    is_moment,
    nl_consumer,
    parse_path,
    ref_id,
    time_outside_year,
    unknown_association,
    unknown_offering,
    unusable_time,
    without_nul,
)
from oke_core.store import Store, models
from oke_core.store.batch import Recorder, Target, insert_many, select_in
from oke_core.store.lookup import RegisterLookup
from oke_core.store.pending import PendingWrites, write_keyed, write_meta
from oke_core.store.writer import BackgroundWriter

__all__ = ["QUARANTINE_REASONS", "IngestCounts", "Ingestor", "Outcome"]

_blake2b = hashlib.blake2b


@dataclass
class IngestCounts:
    """What happened to the messages (and events) handled in one call."""

    received: int = 0
    applied: int = 0
    duplicates: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    events: int = 0
    event_errors: int = 0
    event_duplicates: int = 0

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
        self.event_duplicates += other.event_duplicates

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "applied": self.applied,
            "duplicates": self.duplicates,
            "quarantined": dict(sorted(self.quarantined.items())),
            "quarantined_total": self.quarantined_total,
            "events": self.events,
            "event_errors": self.event_errors,
            "event_duplicates": self.event_duplicates,
        }


@dataclass(slots=True, init=False)
class Outcome:
    """What happened to one message. A duplicate also says what happened to the first delivery
    (``first_status`` applied | quarantined, ``first_reason``, ``first_message_id``), so a front
    door can answer a repeated refused message with the same refusal. A quarantined message
    carries the ``problems`` its quarantine row keeps: a valid message refused by the
    planning (wrong student, unknown association) has no errors in its verdict.

    ``__init__`` is written out (``init=False``): compiled, the one ``dataclass`` generates would
    be interpreted Python, run once per message (about 1 % of a bulk ingest)."""

    status: str  # applied | duplicate | quarantined
    reason: str | None
    verdict: Verdict | None
    association_id: str | None
    version: int | None
    first_status: str | None
    first_reason: str | None
    first_message_id: str | None
    problems: tuple[Problem, ...]

    def __init__(
        self,
        status: str,
        reason: str | None,
        verdict: Verdict | None,
        association_id: str | None,
        version: int | None,
        first_status: str | None = None,
        first_reason: str | None = None,
        first_message_id: str | None = None,
        problems: tuple[Problem, ...] = (),
    ) -> None:
        self.status = status
        self.reason = reason
        self.verdict = verdict
        self.association_id = association_id
        self.version = version
        self.first_status = first_status
        self.first_reason = first_reason
        self.first_message_id = first_message_id
        self.problems = problems


_INBOX_SEEN = ("message_id", "digest", "outcome", "reason")
#: Register rows written together in bulk ingest (about 30 MB held meanwhile): see ``flush``.
INBOX_BATCH = 100_000
#: Messages a bulk ingest handles before its writes move to a second process (see ``bulk``).
BACKGROUND_AFTER = 20_000

#: What the idempotency register knows of a message id: (digest, outcome, reason) of its first delivery.
Seen = tuple[str, str, str | None]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic garbage collection while a bulk ingest runs (restored afterwards).

    Ingest holds a batch of parsed envelopes (about 25 containers each) while it works through it,
    and the collector kept walking them: about 2 us of every message even with a young-generation
    threshold of 50,000. Ingest makes no reference cycles (``tests/core/test_ingest_gc.py`` checks
    every kind of message), so reference counting frees everything it allocates and memory stays as
    flat as with the collector on. What exists at the start is frozen, and the caller's frozen
    objects stay frozen after.
    """
    was_enabled = gc.isenabled()
    caller_froze = gc.get_freeze_count() > 0
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        if not caller_froze:
            gc.unfreeze()


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


@mypyc_attr(allow_interpreted_subclasses=True)  # a test stands in a writer that stops early
class Ingestor(ResultApplier):
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
        inbox_batch: int = INBOX_BATCH,
        background_after: int | None = BACKGROUND_AFTER,
    ) -> None:
        self.store = store
        self.planning = planning
        self.policy = policy
        self.contract = contract or Contract.load()
        self.batch_size = batch_size
        self.inbox_batch = inbox_batch
        self.background_after = background_after
        self._writer: BackgroundWriter | None = None
        self._lookup: RegisterLookup | None = None  # with the writer: register lookups on a thread
        self._lookup_floor: int | None = None  # batches surely stored when the running lookup began
        self._bulk_handled: int | None = None  # messages handled in the open ``bulk()`` scope
        self.cal = planning.calendar()
        self.counts = IngestCounts()  # lifetime of this Ingestor
        self._contexts: dict[str, RuleContext] = {}
        self._no_irregularity = frozenset(
            t.strip().rstrip(".!").strip().lower() for t in policy.no_irregularity_texts
        )
        self._day_cache: dict[str, date] = {}  # only days inside the window below
        self._window = planning.time_window()
        self._routes: dict[str, tuple[str | None, str | None]] = {}  # path -> (kind, target id)
        self._by_offering: dict[str, list[str]] | None = None
        self._pending = PendingWrites(store.is_sqlite)
        self._pending_ids: dict[str, tuple[Any, ...]] = {}  # message id -> its register row, not yet written
        self._inflight_ids: dict[str, tuple[Any, ...]] = {}  # the same, sent to the background writer
        self._inflight_job = 0  # ... in this batch of it
        self._prefetched: dict[str, Seen] = {}
        self._looked_up: set[str] = set()
        self._dirty: set[str] = set()
        self._dirty_cut: set[str] = set()
        self._dirty_cases: set[str] = set()
        self._buffered = 0
        self._event_ids: set[str] | None = None
        self._load_state()

    # -- state ------------------------------------------------------------------------------------
    def _load_state(self) -> None:
        st = self.store
        with st.engine.connect() as conn:

            def max_of(table: Any) -> int:
                return int(
                    conn.execute(select(table.c.seq).order_by(table.c.seq.desc()).limit(1)).scalar() or 0
                )

            self.log = OkeLog(max_of(models.OkeLogEntry.__table__) + 1)
            self._q_seq = max_of(models.QuarantineItem.__table__) + 1
            self._r_seq = max_of(models.SessionReport.__table__) + 1
        self._results_at = int(st.meta("results_at") or 0)
        if self._results_at < self.log.seq - 1:
            self._rebuild_results()
            self._results_at = self.log.seq - 1
        clock = st.meta("clock")
        self.today: date | None = date.fromisoformat(clock) if clock else None
        # the time a message without a usable one of its own is logged at (it never moves the clock)
        start = self.planning.institution.get("year_start")
        self._last_stamp = (
            midnight(self.today)
            if self.today
            else midnight(date.fromisoformat(start))
            if isinstance(start, str)
            else "1970-01-01T00:00:00Z"
        )
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
        # complaints filed before their result arrived: they count once it does (see _new_record)
        self.early_complaints: dict[str, list[str]] = defaultdict(list)
        # variant 2: exam versions with a final result from the supplier (see _supplier_version)
        self.final_versions: set[str] = {
            r.exam_version_id for r in self.results.values() if r.variant == 2 and r.final
        }
        for case in self.cases.values():
            aid = case["association_id"]
            if case["kind"] == "complaint" and case["status"] == "open" and aid not in self.results:
                self.early_complaints[aid].append(case["case_id"])
        self.irregular_offerings: set[str] = set()
        self.approved_offerings: dict[str, str] = {}
        for r in st.rows(models.SessionReport):
            if r["irregularities"]:
                self.irregular_offerings.add(r["offering_id"])
            if r["approved_by"]:
                self.approved_offerings[r["offering_id"]] = r["approved_by"]
        self.planning_rows_added = 0  # rows a newer planning added to this store (see ingest_files)
        if st.meta("planning_digest") != self.planning.digest:
            added = st.load_planning(self.planning)
            self.planning_rows_added = int(added or 0)
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
            if self._outside_window(day):
                return day  # not cached: receive_many takes a cached day as inside the window
            if len(self._day_cache) > 100_000:
                self._day_cache.clear()
            self._day_cache[key] = day
        return day

    def _outside_window(self, day: date) -> bool:
        low, high = self._window
        return (low is not None and day < low) or (high is not None and day > high)

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
        """One message (HTTP endpoint). Buffered: call ``flush()`` to make it durable.

        ``received_at`` is the receiver's own clock; without it the envelope's time is used, and
        must fall inside the planning's ``time_window`` (else the message is quarantined).
        """
        stamp = self._stamp(envelope, received_at)
        day = self._valid_day(stamp, bounded=received_at is None)
        if day is None:
            stamp = self._last_stamp
        elif self.today is None or day > self.today:
            self.advance_to(day)
        if day is not None:
            self._last_stamp = stamp
        counts = IngestCounts()
        outcome = self._handle(envelope, stamp, day, counts)
        self.counts.add(counts)
        if self._buffered >= self.batch_size:
            self.flush()
        return outcome

    def receive_many(self, envelopes: Iterable[dict[str, Any]], *, checkpoint: bool = True) -> IngestCounts:
        """Messages in arrival order (CLI, assets); the log and deliveries are flushed every
        ``batch_size`` messages, the result table at the end (``checkpoint=False``: by the caller's
        next ``flush()``). See ``flush`` for why that is safe."""
        counts = IngestCounts()
        valid_day = self._valid_day
        tails = UTC_TAILS
        days = self._day_cache
        handle = self._handle
        chunks = _chunks(envelopes, self.batch_size)
        with _collector_paused(), self.bulk():
            while (chunk := self._next_chunk(chunks)) is not None:
                self._bulk_step(len(chunk))
                if self._lookup is not None:
                    self._flush_and_look_up(chunk)
                else:
                    self.flush(checkpoint=False)
                    self.prefetch([env.get("message_id") for env in chunk])
                last = self._last_stamp
                for env in chunk:
                    # Any: whatever the envelope holds; a str whenever ``day`` is set below
                    stamp: Any = env.get("received_at") or env.get("sent_at")
                    if stamp.__class__ is str:
                        # the Dutch day of a valid whole-second UTC stamp, cached per hour (see _day);
                        # anything else is checked in full
                        day = days.get(stamp[:13]) if stamp[13:] in tails else None
                        if day is None:
                            day = valid_day(stamp)
                    else:
                        day = None
                    if day is None:  # no usable time: quarantined (envelope-invalid) at the last one
                        handle(env, last, None, counts)
                        continue
                    last = stamp
                    today = self.today
                    if today is None or day > today:
                        self.advance_to(day)
                    handle(env, stamp, day, counts)
                self._last_stamp = last
            if checkpoint or counts.received:  # else nothing of this call's to write (events: next flush)
                self.flush(checkpoint=checkpoint)
        self.counts.add(counts)
        return counts

    def _next_chunk(self, chunks: Iterator[list[dict[str, Any]]]) -> list[dict[str, Any]] | None:
        """The next batch, None at the end. If reading it fails (a bad line further on, Ctrl-C),
        the batches handled so far are written first, as they would be had the input ended there."""
        try:
            return next(chunks, None)
        except BaseException:
            self.flush(checkpoint=False)
            raise

    @staticmethod
    def _stamp(envelope: dict[str, Any], received_at: datetime | str | None) -> str:
        if isinstance(received_at, datetime):
            return utc_text(received_at)
        if isinstance(received_at, str) and received_at:
            return received_at
        got = envelope.get("received_at") or envelope.get("sent_at")
        return got if isinstance(got, str) else ""

    def _valid_day(self, stamp: str, *, bounded: bool = True) -> date | None:
        """The Dutch day of a usable RFC 3339 stamp; None for one that is not (never a guessed 1970).

        ``bounded``: None too for a day outside the planning's ``time_window`` (a message's own
        time; a receiver's own clock and an event's time are not bounded).
        """
        if not is_moment(stamp):
            return None
        day = self._day(stamp)
        return None if bounded and self._outside_window(day) else day

    def _time_problem(self, env: dict[str, Any], given: str) -> Problem:
        """Why a message has no usable time: its own is too far from the school year, or ``given``
        (the caller's) is not a time."""
        key = "received_at" if env.get("received_at") else "sent_at"
        value = env.get(key)
        if value.__class__ is str and is_moment(value) and self._outside_window(day := self._day(value)):
            return time_outside_year(key, value, day, self.planning.institution)
        return unusable_time(given)

    def prefetch(self, ids: Iterable[Any]) -> None:
        """Look up a batch of message ids in one query; the answers are used until the next ``flush()``.

        ``receive_many`` does this per batch; a front door that collects requests (the HTTP writer)
        calls it before ``receive`` for each. Ids not prefetched are looked up one at a time.
        """
        # an id with a NUL is registered escaped (see _handle), and PostgreSQL refuses a raw one
        wanted = sorted({storable(i) for i in ids if isinstance(i, str)} - self._looked_up)
        if not wanted:
            return
        with self.store.engine.connect() as conn:
            rows = select_in(conn, models.InboxEntry.__table__, _INBOX_SEEN, "message_id", wanted)
        self._looked_up_as(wanted, rows)

    def _looked_up_as(self, wanted: list[str], rows: Iterable[Any]) -> None:
        """Remember a lookup's answer (the register rows found among ``wanted``) until the next flush."""
        found = self._prefetched
        for mid, digest, outcome, reason in rows:
            found[mid] = (digest, outcome, reason)
        self._looked_up.update(wanted)

    def _seen(self, mid: str) -> Seen | None:
        row = self._pending_ids.get(mid) or self._inflight_ids.get(mid)
        if row is not None:
            return (row[1], row[3], row[4])
        if mid in self._looked_up:
            return self._prefetched.get(mid)
        table = models.InboxEntry.__table__
        with self.store.engine.connect() as conn:
            # Any: SQLAlchemy types a Row as the tuple it unpacks to, which compiled code would check
            found: Any = conn.execute(
                select(table.c.digest, table.c.outcome, table.c.reason).where(table.c.message_id == mid)
            )
            stored = found.first()
        return None if stored is None else (stored[0], stored[1], stored[2])

    def _handle(
        self,
        env: dict[str, Any],
        stamp: str,
        day: date | None,
        counts: IngestCounts,
        requeue: dict[str, Any] | None = None,
    ) -> Outcome:
        counts.received += 1
        self._buffered += 1
        mid = env.get("message_id")
        method = env.get("method")
        path = env.get("path")
        # PostgreSQL text cannot hold a NUL: the id is checked here, the path below (new paths only),
        # the method where a quarantine row keeps it (a method with a NUL is never PATCH or PUT)
        nul_bad = None
        if mid.__class__ is str and NUL in mid:
            env, nul_bad = without_nul(env)
            mid, method, path = env.get("message_id"), env.get("method"), env.get("path")
        if "body_text" not in env:
            is_json = True
            body: Any = env.get("body")
            utf8 = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
            text = raw_text = utf8.decode()  # a NUL in a string is written as its JSON escape
            body_key = "body@"
        else:
            is_json = False
            body = None
            raw = env["body_text"]
            raw_text = raw if isinstance(raw, str) else str(raw)
            utf8 = raw_text.encode()
            # checked as sent, stored with any NUL escaped (PostgreSQL text cannot hold one)
            text = storable(raw_text)
            body_key = "body_text@"
        digest = _blake2b(utf8, digest_size=12).hexdigest()
        if not isinstance(mid, str) or not mid:
            mid = "no-id-" + digest
        route = self._routes.get(path) if path.__class__ is str else None
        if route is None:
            if path.__class__ is str and NUL in path:
                env, path_bad = without_nul(env)
                nul_bad = nul_bad or path_bad
                # not the id: a NUL in it was escaped above, and re-reading it would undo "no-id-"
                method, path = env.get("method"), env.get("path")
            route = parse_path(path)
            if path.__class__ is str:
                if len(self._routes) > 200_000:
                    self._routes.clear()
                self._routes[path] = route
        kind, target = route
        # stored without the body: ``body_key`` says where the body is kept (store.log(bodies=True))
        detail: dict[str, Any] = {
            "method": method,
            "path": path,
            "received_at": stamp,
            "sent_at": env.get("sent_at"),
            "flow_given": env.get("flow"),
        }
        bad = nul_bad or envelope_problem(env, stamps=False)
        if bad is None and requeue is not None:
            bad = envelope_refusal(requeue["problems"])
        if bad is None and requeue is None and (day is None or "received_at" in env):
            bad = envelope_problem(env) or (None if day is not None else self._time_problem(env, stamp))
        if bad is not None:  # the fields as sent, so that a log replay sees the same envelope
            kept = "body" if is_json else "body_text"  # stored by reference, like any body
            detail["envelope"] = {k: v for k, v in env.items() if k != kept}
        if requeue is None:
            entry = self.log.append(stamp, "message", "TA", message_id=mid, association_id=target)
            prev = self._seen(mid)
            key = mid  # where the idempotency register keeps this delivery
            if prev is not None and prev[0] != digest:
                # a reused id with another body is a message of its own, registered as id#digest so
                # that delivering it again (e.g. the same file twice) is recognised as a duplicate
                key = f"{mid}#{digest}"
                prev = self._seen(key)
            if prev is not None:
                counts.duplicates += 1
                self._pending.bodies.append((entry[0], text))
                detail[body_key] = "m"
                entry[AFTER] = "duplicate"
                entry[REASON] = "same-message-id"
                entry[DETAIL] = dumps(detail)
                return Outcome("duplicate", "same-message-id", None, target, None, prev[1], prev[2], mid)
        else:
            entry = self.log.append(
                self._now(),
                "reprocess",
                "KRS",
                message_id=mid,
                association_id=target,
                rule="reprocess-quarantine",
            )
            seen = self._seen(mid)
            key = mid if seen is None or seen[0] == digest else f"{mid}#{digest}"
        verdict: Verdict | None = None
        flow = env.get("flow")
        try:
            if bad is not None:
                raise Quarantined("json-syntax" if bad.code == "json-syntax" else "invalid", [bad])
            assoc = self.planning.associations.get(target) if kind == "associations" and target else None
            ctx = self._context(assoc) if assoc else None
            if is_json:
                if flow is None:
                    flow = detect_flow(method, path, body)
                verdict = self.contract.check(body, flow, ctx, method=method, path=path)
            else:
                body, verdict = self.contract.check_text(raw_text, flow, method, path, ctx)
                flow = verdict.flow
            if verdict.errors:
                reason = "json-syntax" if any(p.code == "json-syntax" for p in verdict.errors) else "invalid"
                raise Quarantined(reason, verdict.errors)
            # valid JSON, but not storable; a backslash first: a one-character search is a memchr
            if "\\" in raw_text and NUL_STORED in raw_text and (found := nul_problems(body)):
                raise Quarantined("invalid", found)
            if kind is None:
                raise bad_path(path)
            if kind == "offerings":
                if flow != 4 or target not in self.planning.offerings:
                    raise unknown_offering(target)
                status, why, version, extra = "applied", None, None, None
                ref = f"r:{self._r_seq}"
                self._apply_session_report(body, target, mid, stamp, text)
            else:
                if assoc is None:
                    assoc = self._extra_attempt(body, target, flow, method, stamp, mid)
                if assoc is None:
                    raise unknown_association(target)
                cross_check(body, assoc)
                # day and flow are set by now: a message without a usable day is quarantined above
                # (``_time_problem``), one whose flow is unknown by its verdict
                status, why, version, extra = self._apply_result(
                    body, assoc, mid, stamp, day, text, digest, flow, entry[0]  # type: ignore[arg-type]
                )
                if status == "duplicate":  # same content as the current version: its body is that one
                    ref = f"v:{self.results[target].current_seq}"  # type: ignore[index]
                else:
                    ref = "v" if version is not None else "m"
        except Quarantined as q:
            where = (entry, detail, body_key, mid, stamp, flow, method, path, text, digest)
            return self._quarantine(q, where, counts, verdict, target, key, requeue)
        if status == "duplicate":
            counts.duplicates += 1
            first: tuple[str | None, str | None, str | None] = (
                "applied",
                None,
                self.results[target].last_message_id,  # type: ignore[index]
            )
        else:
            counts.applied += 1
            first = (None, None, None)
        if requeue is not None:
            ref = f"q:{requeue['seq']}"
        elif ref == "m":
            self._pending.bodies.append((entry[0], text))
        detail["flow"] = flow
        detail["version"] = version
        detail[body_key] = ref
        if extra is not None:
            detail.update(extra)
        entry[AFTER] = status
        entry[REASON] = why
        entry[RULE] = f"flow-{flow}"
        entry[DETAIL] = dumps(detail)
        if requeue is None:
            self._remember(key, digest, stamp, "applied", None)
        else:
            self._pending.quarantine_updates.append(
                {
                    "seq": requeue["seq"],
                    "reason": requeue["reason"],
                    "problems": requeue["problems"],
                    "status": "released",
                    "resolved_at": self._now(),
                }
            )
            self._pending.inbox_updates.append({"message_id": key, "outcome": "applied", "reason": None})
        return Outcome(status, why, verdict, target, version, *first)

    def _quarantine(
        self,
        q: Quarantined,
        where: tuple[Any, ...],
        counts: IngestCounts,
        verdict: Verdict | None,
        target: str | None,
        key: str,
        requeue: dict[str, Any] | None,
    ) -> Outcome:
        entry, detail, body_key, mid, stamp, flow, method, path, text, digest = where
        counts.quarantined[q.reason] = counts.quarantined.get(q.reason, 0) + 1
        found = [p.to_dict() for p in q.problems]
        problems = dumps(found)
        if requeue is None:
            seq = self._q_seq
            self._pending.quarantine.append(
                {
                    "seq": seq,
                    "message_id": mid,
                    "received_at": stamp,
                    "reason": q.reason,
                    "flow": flow if flow in (3, 4, 5) else None,
                    "method": storable(method) if method.__class__ is str else None,
                    "path": path if path.__class__ is str else None,
                    "body_text": text,
                    "problems": problems,
                    "status": "open",
                    "resolved_at": None,
                }
            )
            self._q_seq += 1
            self._remember(key, digest, stamp, "quarantined", q.reason)
        else:
            seq = requeue["seq"]
            if requeue["reason"] != q.reason or requeue["problems"] != problems:
                self._pending.quarantine_updates.append(
                    {
                        "seq": seq,
                        "reason": q.reason,
                        "problems": problems,
                        "status": "open",
                        "resolved_at": None,
                    }
                )
        detail["problems"] = found
        detail[body_key] = f"q:{seq}"
        entry[AFTER] = "quarantined"
        entry[REASON] = q.reason
        entry[DETAIL] = dumps(detail)
        return Outcome("quarantined", q.reason, verdict, target, None, problems=tuple(q.problems))

    def _remember(self, mid: str, digest: str, stamp: str, outcome: str, reason: str | None) -> None:
        row = (mid, digest, stamp, outcome, reason)  # one tuple for the lookup and the write
        self._pending_ids[mid] = row
        self._pending.inbox.append(row)

    def _extra_attempt(
        self, body: Any, target: str | None, flow: Any, method: Any, stamp: str, mid: str
    ) -> Association | None:
        """Flow 5 PUT for an unforeseen extra attempt: accepted (200), the deelname is created."""
        if flow != 5 or not target or not isinstance(body, dict):
            return None
        nl = nl_consumer(body) or {}
        original = self.planning.associations.get(nl.get("orgAssociationId") or "")
        if original is None:
            return None
        offering = ref_id(body.get("offering"), "offeringId") or original.offering_id
        person = ref_id(body.get("person"), "personId") or original.student_id
        if offering not in self.planning.offerings or person not in self.planning.students:
            return None
        attempt = given if isinstance(given := nl.get("attempt"), int) else original.attempt + 1
        assoc = Association(target, offering, person, attempt, original.association_id, "associated")
        self.planning.associations[target] = assoc
        if self._by_offering is not None:
            self._by_offering.setdefault(offering, []).append(target)
        self._pending.participations.append(
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

    # -- the clock --------------------------------------------------------------------------------
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
            at = midnight(self.today)  # type: ignore[arg-type]
            for aid in sorted(self.wake.pop(wake_day)):
                rec = self.results.get(aid)
                if rec is not None:
                    self._settle(rec, at, None, "clock")
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

    # -- events -----------------------------------------------------------------------------------
    def apply_event(self, event: dict[str, Any]) -> None:
        """A KRS-side event (events.jsonl): cut score, complaint, appeal, early establishment.

        Idempotent by ``event_id``, like messages by message id: an event file applied twice
        changes nothing the second time; the repeat is logged (``after`` = duplicate). A NUL
        character in a text is escaped first, as in a message (PostgreSQL cannot store one).
        """
        if any(v.__class__ is str and NUL in v for v in event.values()):
            event = {k: storable(v) if v.__class__ is str else v for k, v in event.items()}
        at = event.get("at")
        if not isinstance(at, str) or (day := self._valid_day(at, bounded=False)) is None:
            at = self._now() or self._last_stamp
        elif self.today is None or day > self.today:
            self.advance_to(day)
        self.counts.events += 1
        event_id = event.get("event_id")
        if isinstance(event_id, str) and event_id:
            seen = self._seen_events()
            if event_id in seen:
                self.counts.event_duplicates += 1
                self.log.append(
                    at,
                    "event",
                    "KRS",
                    rule=str(event.get("type")),
                    message_id=event_id,
                    association_id=event.get("association_id"),
                    after="duplicate",
                    reason="same-event-id",
                    detail=dumps(event),
                )
                return
            seen.add(event_id)
        if not event_handlers.apply(self, event, at):
            self.counts.event_errors += 1

    def _seen_events(self) -> set[str]:
        """Event ids already applied to this store; read from the log once, at the first event."""
        if self._event_ids is None:
            self._await_writes()
            table = models.OkeLogEntry.__table__
            with self.store.engine.connect() as conn:
                found = {
                    r[0]
                    for r in conn.execute(select(table.c.message_id).where(table.c.kind == "event"))
                    if r[0]
                }
            found.update(r[5] for r in self.log.rows if r[2] == "event" and r[5])
            self._event_ids = found
        return self._event_ids

    def mark_case(self, case_id: str) -> None:
        self._dirty_cases.add(case_id)

    def mark_cut(self, exam_version_id: str) -> None:
        self._dirty_cut.add(exam_version_id)

    # -- quarantine and late planning -------------------------------------------------------------
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

    def retry_after_planning(self) -> IngestCounts | None:
        """Re-process the open quarantine if this Ingestor's planning brought rows the store
        lacked (the missing deelname arrived); None when there was nothing to retry. Every front
        door (``oke ingest``, ``oke serve``) calls it when it opens a store."""
        if not self.planning_rows_added or not self.store.count(models.QuarantineItem, status="open"):
            return None
        return self.reprocess_quarantine()

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
    def flush(self, extra: Callable[[Connection], None] | None = None, *, checkpoint: bool = True) -> None:
        """Write all buffered rows in one transaction.

        ``extra(conn)`` runs inside that transaction after the core's rows (e.g. the HTTP request
        log), so both are committed together or not at all.

        ``checkpoint=False`` writes everything except the ``result`` rows, which stay dirty in memory
        (bulk ingest: a result touched by many messages is written once, not once per batch), and
        the idempotency register's rows until ``inbox_batch`` of them wait. That is safe because
        the OKE-log is the source of truth: ``krs_meta.results_at`` records the last log entry the
        result table and the register reflect, and an Ingestor that opens a store whose log is
        further along rebuilds both from the log first (``_rebuild_results``).
        """
        if checkpoint or extra is not None:
            self._await_writes()  # what this call promises includes the batch in flight
        log_rows = self.log.drain()
        pending = self._pending
        self._prefetched = {}
        self._looked_up = set()
        # Register rows wait for a checkpoint or for INBOX_BATCH of them: their keys are message ids,
        # random when senders use UUIDs, and each row then dirties its own index page, so writing
        # ten batches' worth at once touches far fewer pages per row (docs/core.md, Speed).
        inbox = checkpoint or len(pending.inbox) >= self.inbox_batch
        if checkpoint and (self._dirty or log_rows or self._results_at != self.log.seq - 1):
            self._results_at = self.log.seq - 1
            self._meta_pending["results_at"] = str(self._results_at)
        if not (
            log_rows
            or (checkpoint and self._dirty)
            or pending
            or (inbox and pending.inbox)
            or self._meta_pending
            or self._dirty_cut
            or self._dirty_cases
            or extra is not None
        ):
            return
        new_results: list[ResultRecord] = []
        old_results: list[ResultRecord] = []
        if checkpoint:
            results = self.results
            persisted = self._persisted
            for aid in sorted(self._dirty):
                (old_results if aid in persisted else new_results).append(results[aid])

        def write(conn: Target) -> None:
            pending.write(conn, log_rows, new_results, old_results, inbox=inbox)
            write_keyed(
                conn,
                models.CutScore.__table__,
                "exam_version_id",
                self._dirty_cut,
                self.cut_scores,
                self._cut_persisted,
            )
            write_keyed(
                conn, models.Case.__table__, "case_id", self._dirty_cases, self.cases, self._case_persisted
            )
            write_meta(conn, self._meta_pending)

        if self._writer is not None and not checkpoint and extra is None:
            # the same statements, run by the writer process while the next batch is processed
            writer = self._writer
            recorder = Recorder(self.store.engine.dialect)
            write(recorder)
            batch = writer.submit(recorder.statements)
            self._forget_stored_ids(writer)
            if inbox:  # its ids are answered from memory until the process has stored them
                if self._inflight_ids:  # the group before is not yet known to be stored: keep both
                    self._inflight_ids = self._inflight_ids | self._pending_ids
                else:
                    self._inflight_ids = self._pending_ids
                self._inflight_job = batch
        else:  # in this process (anything the writer process held is stored: see the top)
            with self.store.engine.begin() as conn:
                write(conn)
                if extra is not None:
                    extra(conn)
        if checkpoint:
            self._persisted.update(r.association_id for r in new_results)
            self._dirty.clear()
        pending.clear(inbox=inbox)
        if inbox:
            self._pending_ids = {}
        self._meta_pending = {}
        self._buffered = 0

    # -- the background writer ----------------------------------------------------------------------
    @contextmanager
    def bulk(self) -> Iterator[None]:
        """A bulk ingest: once it has handled ``background_after`` messages (in any number of
        ``receive_many`` calls), its batches are written by a second process (``store.writer``)
        while this one processes the next. Everything is written when the scope ends, normally or
        by an exception; a nested scope is part of the outer one. ``receive_many`` opens one."""
        if self._bulk_handled is not None:
            yield
            return
        self._bulk_handled = 0
        try:
            yield
        finally:
            self._bulk_handled = None
            writer, self._writer = self._writer, None
            lookup, self._lookup = self._lookup, None
            try:
                if writer is not None:
                    writer.close()
                    self._inflight_ids = {}
            finally:
                if lookup is not None:
                    lookup.close()

    def _bulk_step(self, messages: int) -> None:
        """Count a batch into the open bulk scope, which gets its writer process once it is large."""
        handled = self._bulk_handled or 0
        if self.background_after is not None and handled >= self.background_after:
            self._start_writer()
        self._bulk_handled = handled + messages

    def _start_writer(self) -> None:
        """Bulk ingest on a SQLite file: from here on, batches are written by a second process
        (``store.writer``) while this one processes the next batch. Not for PostgreSQL: its
        driver does not wait on the GIL, and the server already writes in its own processes."""
        if self._writer is not None or not self.store.is_sqlite:
            return
        database = self.store.engine.url.database
        if not database or database == ":memory:" or self.store.engine.url.query.get("uri"):
            return
        self._writer = BackgroundWriter(database)
        self._lookup = RegisterLookup(database)

    def _flush_and_look_up(self, chunk: list[dict[str, Any]]) -> None:
        """``flush(checkpoint=False)`` and ``prefetch`` of the chunk's ids, at the same time: the
        lookup runs on a thread (``store.lookup``) while the flush pickles the previous batch."""
        lookup = self._lookup
        assert lookup is not None and self._writer is not None
        wanted = sorted({storable(mid) for env in chunk if (mid := env.get("message_id")).__class__ is str})
        self._lookup_floor = self._writer.stored  # the lookup sees at least these batches
        lookup.start(wanted)
        try:
            self.flush(checkpoint=False)
        finally:
            rows = lookup.result()
            self._lookup_floor = None
        self._looked_up_as(wanted, rows)

    def _forget_stored_ids(self, writer: BackgroundWriter) -> None:
        """Drop the in-flight register ids once their batch is stored, and no lookup that began
        before it was stored is still to be used (that lookup may have missed them)."""
        stored = writer.stored if self._lookup_floor is None else self._lookup_floor
        if self._inflight_ids and stored >= self._inflight_job:
            self._inflight_ids = {}

    def _await_writes(self) -> None:
        """Until every batch sent to the writer process is committed (before this process reads
        what it wrote, or writes itself)."""
        if self._writer is not None:
            self._writer.wait()
            self._inflight_ids = {}

    def _rebuild_results(self) -> None:
        """The last writer stopped between checkpoints: its log and deliveries are stored, its
        result table and idempotency register are older. Replay the log into a scratch store and
        take that store's results and register.

        Slow (a full replay), but only after a crash; the normal path never needs it.
        """
        import copy
        import tempfile

        from oke_core.okelog import replay_log

        table = models.Result.__table__
        with tempfile.TemporaryDirectory(prefix="oke-rebuild-") as tmp:
            scratch = Store.open(f"sqlite:///{tmp}/rebuild.sqlite")
            try:
                replay_log(
                    self.store.log(bodies=True),
                    scratch,
                    copy.deepcopy(self.planning),
                    self.policy,
                    self.contract,
                )
                rows = list(scratch.rows(models.Result))
                register = list(scratch.rows(models.InboxEntry))
            finally:
                scratch.close()
        inbox = models.InboxEntry.__table__
        with self.store.engine.begin() as conn:
            conn.execute(table.delete())
            insert_many(conn, table, rows)
            conn.execute(inbox.delete())
            insert_many(conn, inbox, register)
            write_meta(conn, {"results_at": str(self.log.seq - 1)})
