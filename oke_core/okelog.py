"""The OKE-log: append-only, one entry per received message, event, clock step and state transition.

Entries of the *input* kinds (message, event, clock, planning extension, reprocess run) carry
everything needed to redo them, so ``replay_log`` can rebuild a store from the log alone and a
test can compare the rebuilt store with the original, table by table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from oke_core.calendar import AMSTERDAM

if TYPE_CHECKING:
    from oke_core.ingest import Ingestor
    from oke_core.planning import Planning
    from oke_core.policy import Policy
    from oke_core.store import Store

#: Kinds that record an input; every other kind (transition, error, exception, ...) is derived.
INPUT_KINDS = frozenset({"message", "event", "clock", "planning", "reprocess-run"})
KINDS = INPUT_KINDS | {
    "transition",
    "error",
    "exception",
    "reprocess",
    "association-created",
    "cut-score",
}


@lru_cache(maxsize=4096)
def midnight(day: date) -> str:
    """Dutch local midnight of ``day`` as RFC 3339 UTC: the moment clock-driven steps are stamped."""
    return datetime.combine(day, time(0), AMSTERDAM).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: Column order of a buffered log row (``OkeLog.rows`` holds lists in this order).
LOG_COLUMNS = (
    "seq",
    "at",
    "kind",
    "actor",
    "rule",
    "message_id",
    "association_id",
    "before",
    "after",
    "reason",
    "detail",
)
#: Positions in a buffered row, for the one entry per message that is completed after processing.
RULE, AFTER, REASON, DETAIL = 4, 8, 9, 10
#: Keys of a stored message ``detail`` that point at where the body is kept instead of repeating it
#: (``store.log(bodies=True)`` and ``store.export_log`` put the body back).
BODY_REFS = ("body@", "body_text@")


class OkeLog:
    """Buffer of new log rows with the next sequence number; the Ingestor flushes it in batches.

    Rows are plain lists (``LOG_COLUMNS`` order): one is built per entry on the hot path, so no dict.
    """

    __slots__ = ("seq", "rows")

    def __init__(self, next_seq: int = 1) -> None:
        self.seq = next_seq
        self.rows: list[list[Any]] = []

    def append(
        self,
        at: str,
        kind: str,
        actor: str,
        *,
        rule: str | None = None,
        message_id: str | None = None,
        association_id: str | None = None,
        before: str | None = None,
        after: str | None = None,
        reason: str | None = None,
        detail: str | None = None,
    ) -> list[Any]:
        row = [self.seq, at, kind, actor, rule, message_id, association_id, before, after, reason, detail]
        self.seq += 1
        self.rows.append(row)
        return row

    def drain(self) -> list[list[Any]]:
        rows, self.rows = self.rows, []
        return rows


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Stream an exported OKE-log (or any JSONL file) one entry at a time."""
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def replay_log(
    entries: Iterable[dict[str, Any]], store: Store, planning: Planning, policy: Policy, contract: Any = None
) -> Ingestor:
    """Redo the input entries of a log into ``store`` (normally empty); derived entries are regenerated."""
    from oke_core.ingest import Ingestor

    ing = Ingestor(store, planning, policy, contract)
    for entry in entries:
        kind = entry["kind"]
        if kind not in INPUT_KINDS:
            continue
        detail = entry.get("detail")
        if isinstance(detail, str):
            detail = orjson.loads(detail)
        detail = detail or {}
        if kind == "message":
            if any(k in detail for k in BODY_REFS):
                raise ValueError(
                    f"OKE-log entry {entry.get('seq')} points at a stored body instead of carrying it: "
                    "replay an exported log (store.export_log) or store.log(bodies=True)"
                )
            env: dict[str, Any] = detail.get("envelope") or {
                "message_id": entry["message_id"],
                "method": detail.get("method"),
                "path": detail.get("path"),
                "sent_at": detail.get("sent_at"),
            }
            if "body" in detail:
                env["body"] = detail["body"]
            else:
                env["body_text"] = detail.get("body_text", "")
            if detail.get("flow_given") is not None and "envelope" not in detail:
                env["flow"] = detail["flow_given"]
            # an envelope refused as sent is replayed as sent: its own (unusable) time, not the log's
            ing.receive(env, None if "envelope" in detail else detail["received_at"])
        elif kind == "event":
            ing.apply_event(detail)
        elif kind == "clock":
            ing.advance_to(date.fromisoformat(entry["after"]))
        elif kind == "planning" and detail.get("action") == "extend":
            ing.extend_planning_records(detail["added"])
        elif kind == "reprocess-run":
            ing.reprocess_quarantine()
    ing.flush()
    return ing
