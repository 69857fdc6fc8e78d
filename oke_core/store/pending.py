"""Rows waiting for the next flush: built as tuples on the hot path, written in one transaction.

The Ingestor keeps the current state of every result in memory and marks it dirty; a flush writes
each dirty result once (however many messages touched it), every buffered table with one
executemany, and nothing else. On SQLite dates are turned into ISO text here, because the
driver's per-value adapter costs more than the rest of a result row together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from operator import attrgetter
from typing import Any

from oke_core.lifecycle import DATE_FIELDS, RECORD_FIELDS, ResultRecord
from oke_core.okelog import LOG_COLUMNS
from oke_core.store import models
from oke_core.store.batch import Target, insert_many, insert_tuples, update_many, update_tuples, upsert_tuples

INBOX_COLUMNS = ("message_id", "digest", "received_at", "outcome", "reason")
VERSION_COLUMNS = (
    "seq",
    "association_id",
    "version",
    "message_id",
    "received_at",
    "flow",
    "disposition",
    "state",
    "body_text",
)
BODY_COLUMNS = ("seq", "body_text")
UPDATE_COLUMNS = tuple(f for f in RECORD_FIELDS if f != "association_id")


def _row_getter(fields: tuple[str, ...], iso_dates: bool) -> Callable[[ResultRecord], tuple[Any, ...]]:
    """A compiled ``rec -> tuple`` for these fields (dates as ISO text when ``iso_dates``).

    Each day is formatted once (the ``iso`` dict): ``date.isoformat`` costs about 3,000
    instructions (it goes through ``PyUnicode_FromFormat``), a dict hit about a hundred, and a
    result row holds a dozen dates drawn from the few hundred days of a school year.
    """
    if not iso_dates:
        return attrgetter(*fields)  # type: ignore[return-value]
    parts = [
        f"(None if (v := r.{f}) is None else (iso_get(v) or day(v)))" if f in DATE_FIELDS else f"r.{f}"
        for f in fields
    ]
    iso: dict[date, str] = {}
    namespace: dict[str, Any] = {"iso": iso, "iso_get": iso.get}
    source = (
        "def day(v):\n    text = iso[v] = v.isoformat()\n    return text\n"
        f"def row(r):\n    return ({', '.join(parts)},)\n"
    )
    exec(source, namespace)  # fixed field names only
    return namespace["row"]  # type: ignore[no-any-return]


class PendingWrites:
    """The write buffers of one Ingestor (one writer per store)."""

    def __init__(self, sqlite: bool) -> None:
        self.insert_row = _row_getter(RECORD_FIELDS, sqlite)
        self.update_row = _row_getter((*UPDATE_COLUMNS, "association_id"), sqlite)
        self.participations: list[dict[str, Any]] = []
        self.inbox: list[tuple[Any, ...]] = []
        self.inbox_updates: list[dict[str, Any]] = []
        self.versions: list[tuple[Any, ...]] = []
        self.bodies: list[tuple[int, str]] = []
        self.quarantine: list[dict[str, Any]] = []
        self.quarantine_updates: list[dict[str, Any]] = []
        self.reports: list[dict[str, Any]] = []

    def __bool__(self) -> bool:
        """Anything to write besides register rows (those may wait: see ``Ingestor.flush``)."""
        return bool(
            self.participations
            or self.inbox_updates
            or self.versions
            or self.bodies
            or self.quarantine
            or self.quarantine_updates
            or self.reports
        )

    def write(
        self,
        conn: Target,
        log_rows: list[list[Any]],
        new_results: list[ResultRecord],
        old_results: list[ResultRecord],
        *,
        inbox: bool = True,
    ) -> None:
        """Everything buffered, in an order that satisfies the foreign keys; the caller commits.

        ``inbox=False`` keeps the idempotency register's rows for a later write (see
        ``Ingestor.flush``); ``clear`` then keeps them too.
        """
        insert_many(conn, models.Participation.__table__, self.participations)
        if inbox:
            # in key order: the register's index is the one with random keys (docs/core.md, Speed)
            insert_tuples(conn, models.InboxEntry.__table__, INBOX_COLUMNS, self.inbox, key_order=True)
        update_many(conn, models.InboxEntry.__table__, "message_id", self.inbox_updates)
        insert_tuples(conn, models.ResultVersion.__table__, VERSION_COLUMNS, self.versions)
        if new_results:
            row = self.insert_row
            insert_tuples(conn, models.Result.__table__, RECORD_FIELDS, [row(r) for r in new_results])
        if old_results:
            row = self.update_row
            update_tuples(
                conn,
                models.Result.__table__,
                "association_id",
                UPDATE_COLUMNS,
                [row(r) for r in old_results],
            )
        insert_many(conn, models.QuarantineItem.__table__, self.quarantine)
        update_many(conn, models.QuarantineItem.__table__, "seq", self.quarantine_updates)
        insert_many(conn, models.SessionReport.__table__, self.reports)
        insert_tuples(conn, models.OkeLogEntry.__table__, LOG_COLUMNS, log_rows)
        insert_tuples(conn, models.MessageBody.__table__, BODY_COLUMNS, self.bodies)

    def clear(self, *, inbox: bool = True) -> None:
        if inbox:
            self.inbox.clear()
        for buf in (
            self.participations,
            self.inbox_updates,
            self.versions,
            self.bodies,
            self.quarantine,
            self.quarantine_updates,
            self.reports,
        ):
            buf.clear()


def write_keyed(
    conn: Target,
    table: Any,
    key: str,
    dirty: set[str],
    rows: dict[str, dict[str, Any]],
    persisted: set[str],
) -> None:
    """Insert or update the dirty rows of a small keyed table (cut scores, cases)."""
    if not dirty:
        return
    ordered = sorted(dirty)
    insert_many(conn, table, [rows[k] for k in ordered if k not in persisted])
    update_many(conn, table, key, [rows[k] for k in ordered if k in persisted])
    persisted.update(ordered)
    dirty.clear()


def write_meta(conn: Target, values: dict[str, str]) -> None:
    upsert_tuples(conn, models.Meta.__table__, "key", ("key", "value"), sorted(values.items()))
