"""Replay a simulator output folder into a store: messages and KRS events merged in time order.

Both files are streamed (each is sorted by time); the clock advances at every day boundary, so a
scenario year is processed in one pass without loading either file into memory. ``ingest_files``
is the same path for ``oke ingest`` (a message file, optional events, optional ``--as-of``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import date, datetime
from itertools import count
from pathlib import Path
from typing import Any

import orjson

from oke_core.calendar import local_date, parse_datetime
from oke_core.contract import Contract
from oke_core.contract.sources import open_lines
from oke_core.dataerrors import DataError
from oke_core.ingest import IngestCounts, Ingestor
from oke_core.planning import Planning, load_planning
from oke_core.policy import Policy, load_policy
from oke_core.store import Store
from oke_core.store.engine import redact_url

MESSAGE, EVENT = 0, 1
_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def wrapped_line(line: bytes, message_id: str, sent_at: str) -> dict[str, Any]:
    """A ``.jsonl`` line that is not a JSON object, kept whole as the body text of a complete
    envelope, so that ingest quarantines it as json-syntax instead of it being lost.

    A line that is not UTF-8 (a file saved as Windows-1252, say) is kept with each byte that is
    not UTF-8 written as ``\\xNN``, not replaced by U+FFFD, so the quarantine holds what was
    sent; ``not_utf8`` says where the first such byte is (``envelope_problem`` reports it).
    """
    envelope: dict[str, Any] = {"message_id": message_id, "sent_at": sent_at, "method": "PATCH", "path": ""}
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = line.decode("utf-8", "backslashreplace")
        envelope["not_utf8"] = {"byte": exc.start + 1, "reason": exc.reason}
    envelope["body_text"] = text.rstrip("\r\n")
    return envelope


def message_lines(path: Path, sent_at: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, envelope) per non-blank line of a message file, in file order (a vendor's delivery).

    A line that is not a JSON object is wrapped (``wrapped_line``) with ``sent_at``; a UTF-8 byte
    order mark is skipped. ``_stream`` reads ``oke ingest``'s files the same way, in time order.
    """
    with open_lines(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                obj = None
            if not isinstance(obj, dict):
                obj = wrapped_line(line, f"{path.name}:{lineno}", sent_at)
            yield lineno, obj


def _stream(
    path: Path | None, kind: int, time_key: str
) -> Iterator[tuple[datetime, int, int, dict[str, Any]]]:
    """Items of one JSONL file; a broken message line becomes a ``body_text`` envelope (quarantined later)."""
    if path is None or not path.is_file():
        return
    seq = count()
    last = _EPOCH
    with open_lines(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                if kind == EVENT:
                    raise DataError(path, lineno, "", "json-syntax", str(exc)) from None
                obj = None
            if kind == MESSAGE and not isinstance(obj, dict):
                obj = wrapped_line(line, f"{path.name}:{lineno}", last.strftime("%Y-%m-%dT%H:%M:%SZ"))
            if not isinstance(obj, dict):
                raise DataError(path, lineno, "", "jsonl.object", "each line must be a JSON object")
            stamp = obj.get(time_key)
            try:
                moment = parse_datetime(stamp) if isinstance(stamp, str) else None
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is None:
                moment = None  # no time zone: not an RFC 3339 date-time
            if moment is None:
                if kind == EVENT:
                    raise DataError(
                        path,
                        lineno,
                        f"/{time_key}",
                        "format.date-time",
                        f"{time_key} {stamp!r} is not an RFC 3339 date-time",
                    )
                moment = last  # kept in file order; ingest quarantines it (envelope-invalid /sent_at)
            last = max(last, moment)
            yield (moment, kind, next(seq), obj)


def merged(messages: Path | None, events: Path | None) -> Iterator[tuple[int, date, dict[str, Any]]]:
    """(kind, Dutch day, item) for every message and event, in time order (messages first on ties)."""
    streams = [_stream(messages, MESSAGE, "sent_at"), _stream(events, EVENT, "at")]
    for moment, kind, _seq, obj in heapq.merge(*streams, key=lambda t: (t[0], t[1], t[2])):
        yield kind, local_date(moment), obj


def feed(
    ing: Ingestor, messages: Path | None, events: Path | None, until: date | None = None
) -> IngestCounts:
    """Stream messages (batched through ``receive_many``) and events into ``ing``; returns the counts.

    The messages between two events go to one ``receive_many`` call, so that call can look a
    batch's message ids up while it hands the batch before to the writer process (``Ingestor.bulk``).
    """
    counts = IngestCounts()
    items = merged(messages, events)
    stop: list[dict[str, Any] | None] = []  # what ended the last run: the next event, or None at the end

    def run() -> Iterator[dict[str, Any]]:
        """The messages up to the next event (or ``until``, or the end)."""
        for kind, day, obj in items:
            if until is not None and day > until:
                break
            if kind != MESSAGE:
                stop.append(obj)
                return
            yield obj
        stop.append(None)

    with ing.bulk():  # one scope for every batch: large inputs get the background writer
        while True:
            counts.add(ing.receive_many(run(), checkpoint=False))
            event = stop.pop()
            if event is None:
                break
            before = (ing.counts.events, ing.counts.event_errors, ing.counts.event_duplicates)
            ing.apply_event(event)
            counts.events += ing.counts.events - before[0]
            counts.event_errors += ing.counts.event_errors - before[1]
            counts.event_duplicates += ing.counts.event_duplicates - before[2]
    if until is not None:
        ing.advance_to(until)
    ing.flush()
    return counts


def replay(
    store: Store,
    sim_out_dir: str | Path,
    policy: Policy,
    until: date | None = None,
    *,
    planning: Planning | None = None,
    contract: Contract | None = None,
    ingestor: Ingestor | None = None,
) -> IngestCounts:
    """Process ``sim_out_dir`` (planning/, messages.jsonl, events.jsonl) up to and including ``until``."""
    root = Path(sim_out_dir)
    ing = ingestor or Ingestor(store, planning or load_planning(root / "planning"), policy, contract)
    return feed(ing, root / "messages.jsonl", root / "events.jsonl", until)


def ingest_files(
    messages: Path,
    planning_dir: Path,
    *,
    db: str | Path | None = None,
    policy: str | Path | None = None,
    events: Path | None = None,
    as_of: date | None = None,
    contract: Contract | None = None,
    reprocess: bool = False,
) -> tuple[IngestCounts, str, str, IngestCounts | None]:
    """``oke ingest``: returns (counts, store URL without its password, policy name, what
    re-processing the quarantine did, or None when it did not run).

    The open quarantine is tried again first, before the new messages, when the planning brought
    rows the store did not have (the missing deelname arrived) or when ``reprocess`` asks for it.
    Raises DataError on unusable input.
    """
    plan = load_planning(planning_dir)
    pol = load_policy(policy or plan.policy_source() or "beoordelen")
    store = Store.open(db)
    try:
        ing = Ingestor(store, plan, pol, contract)
        again = ing.reprocess_quarantine() if reprocess else ing.retry_after_planning()
        counts = feed(ing, messages, events)
        if as_of is not None:
            ing.advance_to(as_of)
        ing.flush()
    finally:
        store.close()
    return counts, redact_url(store.url), pol.name, again
