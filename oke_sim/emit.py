"""Writers for messages.jsonl, events.jsonl and truth.jsonl, in simulated-time order.

Processes schedule deliveries ahead of time; a heap holds them until the simulation clock passes
their `sent_at`, so files come out sorted without keeping the year in memory. Message ids are
given at write time, so they rise through the file (a duplicate delivery reuses its original's id).

The heaps hold plain ints, `time << SEQ_BITS | sequence number`, with the payload in a dict by that
key: ints compare several times faster than (time, seq, payload) tuples, and the key keeps the
same order (time first, then scheduling order).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from oke_sim.workdays import SimCalendar

BUFFER = 1 << 20
SEQ_BITS = 32
_DUMP = orjson.dumps
_SORTED = orjson.OPT_SORT_KEYS


@dataclass(slots=True)
class Delivery:
    """One HTTP request as sent; `original` set means a re-delivery of that same message."""

    method: str
    path: str
    body: Any = None
    body_text: str | None = None
    flow: int = 3
    fault: str | None = None
    expected: str | None = None
    truth_extra: dict[str, Any] | None = None
    original: Delivery | None = None
    message_id: str | None = field(default=None)


@dataclass
class Counts:
    messages: int = 0
    flow3: int = 0
    flow4: int = 0
    events: int = 0
    results: int = 0
    faults: dict[str, int] = field(default_factory=dict)


class Emitter:
    def __init__(self, out_dir: Path, cal: SimCalendar) -> None:
        self.cal = cal
        self._messages: IO[bytes] = open(out_dir / "messages.jsonl", "wb", buffering=BUFFER)  # noqa: SIM115
        self._events: IO[bytes] = open(out_dir / "events.jsonl", "wb", buffering=BUFFER)  # noqa: SIM115
        self._truth: IO[bytes] = open(out_dir / "truth.jsonl", "wb", buffering=BUFFER)  # noqa: SIM115
        self._msg_heap: list[int] = []  # keys: time << SEQ_BITS | seq
        self._msg_items: dict[int, Delivery] = {}
        self._event_heap: list[int] = []
        self._event_items: dict[int, dict[str, Any]] = {}
        self._seq = 0
        self._next_message = 0
        self._next_event = 0
        self.counts = Counts()
        self.watermark = -1
        self.dropped_events = 0

    # scheduling ------------------------------------------------------------------
    def send(self, t: int, delivery: Delivery) -> Delivery:
        if t <= self.watermark:
            raise RuntimeError(
                f"delivery scheduled at {t} after the files were written up to {self.watermark}"
            )
        self._seq += 1
        key = t << SEQ_BITS | self._seq
        self._msg_items[key] = delivery
        heapq.heappush(self._msg_heap, key)
        return delivery

    def event(self, t: int, record: dict[str, Any]) -> None:
        if t <= self.watermark:
            raise RuntimeError(f"event scheduled at {t} after the files were written up to {self.watermark}")
        self._seq += 1
        key = t << SEQ_BITS | self._seq
        self._event_items[key] = record
        heapq.heappush(self._event_heap, key)

    def truth(self, kind: str, record: dict[str, Any]) -> None:
        """Truth lines: `kind` first, then the other keys sorted."""
        self._truth.write(b'{"kind":' + _DUMP(kind) + b"," + _DUMP(record, option=_SORTED)[1:] + b"\n")
        if kind == "result":
            self.counts.results += 1

    # flushing --------------------------------------------------------------------
    def flush_until(self, t: int) -> None:
        self.watermark = max(self.watermark, t)
        heap, items, pop = self._msg_heap, self._msg_items, heapq.heappop
        write = self._messages.write
        iso = self.cal.iso
        counts = self.counts
        limit = (t + 1) << SEQ_BITS  # every key of a time <= t is below this
        while heap and heap[0] < limit:
            key = pop(heap)
            d = items.pop(key)
            sent = key >> SEQ_BITS
            if d.original is not None:
                d.message_id = d.original.message_id
            else:
                self._next_message += 1
                d.message_id = f"m-{self._next_message:08d}"
            env: dict[str, Any] = {
                "message_id": d.message_id,
                "sent_at": iso(sent),
                "method": d.method,
                "path": d.path,
            }
            if d.body_text is not None:
                env["body_text"] = d.body_text
            else:
                env["body"] = d.body
            write(_DUMP(env, option=_SORTED) + b"\n")
            counts.messages += 1
            if d.flow == 3:
                counts.flow3 += 1
            else:
                counts.flow4 += 1
            if d.fault is not None:
                counts.faults[d.fault] = counts.faults.get(d.fault, 0) + 1
                record = {
                    "message_id": d.message_id,
                    "fault": d.fault,
                    "expected": d.expected,
                    "sent_at": iso(sent),
                }
                if d.truth_extra:
                    record.update(d.truth_extra)
                self.truth("fault", record)
        eheap, eitems = self._event_heap, self._event_items
        while eheap and eheap[0] < limit:
            key = pop(eheap)
            record = eitems.pop(key)
            at = key >> SEQ_BITS
            self._next_event += 1
            record = {"event_id": f"e-{self._next_event:08d}", "at": iso(at), **record}
            self._events.write(_DUMP(record, option=_SORTED) + b"\n")
            counts.events += 1

    def pending(self) -> int:
        return len(self._msg_heap) + len(self._event_heap)

    def close(self, until: int) -> None:
        """Write what was sent by `until` (and messages already in flight); drop later events."""
        self.flush_until(until)
        self._event_heap, dropped = [], self._event_heap
        self._event_items = {}
        self.dropped_events = len(dropped)
        self.flush_until(1 << 40)
        for f in (self._messages, self._events, self._truth):
            f.close()
