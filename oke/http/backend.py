"""The core behind the endpoint: the same Store, Ingestor and Contract as `oke ingest`/`oke rehearse`.

Writes (receive, flush, request log) are only ever called from the group-commit writer thread;
reads (GET) run in Starlette's thread pool on their own connections.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select

from oke_core import requestlog
from oke_core.contract import Contract, Problem, Verdict
from oke_core.store import Store, models

ASSOCIATION_TYPE = "componentOfferingAssociation"


class CoreReader:
    """The GET side: planned deelnames plus the result version KRS currently holds."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- request threads -------------------------------------------------------------------------
    def association(self, association_id: str) -> dict | None:
        part = models.Participation.__table__
        with self.store.engine.connect() as conn:
            row = conn.execute(select(part).where(part.c.association_id == association_id)).mappings().first()
            if row is None:
                return None
            results = self._latest_results(conn, [association_id])
        return _view(dict(row), results.get(association_id))

    def offering_associations(self, offering_id: str) -> list[dict] | None:
        part = models.Participation.__table__
        session = models.ExamSession.__table__
        with self.store.engine.connect() as conn:
            known = conn.execute(
                select(session.c.offering_id).where(session.c.offering_id == offering_id)
            ).first()
            if known is None:
                return None
            rows = [
                dict(r)
                for r in conn.execute(
                    select(part).where(part.c.offering_id == offering_id).order_by(part.c.association_id)
                ).mappings()
            ]
            results = self._latest_results(conn, [r["association_id"] for r in rows])
        return [_view(r, results.get(r["association_id"])) for r in rows]

    def _latest_results(self, conn: Any, association_ids: list[str]) -> dict[str, dict]:
        """The `result` object of the version KRS currently holds (as it was delivered)."""
        return self.store.current_results(association_ids, conn)

    def close(self) -> None:
        self.store.close()


class CoreBackend(CoreReader):
    """Reader plus the write side; its write methods run only on the writer (thread or process)."""

    def __init__(self, store: Store, ingestor: Any, contract: Contract) -> None:
        super().__init__(store)
        self.ingestor = ingestor
        self.contract = contract
        self._first: dict[Any, Any] = {}  # message id -> duplicate Outcome, for the batch in hand
        requestlog.ensure_table(store.engine)

    # -- writer thread ---------------------------------------------------------------------------
    def prepare(self, envelopes: list[dict]) -> None:
        """Look up the batch's message ids in one query instead of one query per message."""
        self._first = {}
        self.ingestor.prefetch(e.get("message_id") for e in envelopes)

    def receive(self, envelope: dict, received_at: datetime) -> Any:
        outcome = self.ingestor.receive(envelope, received_at=received_at)
        if outcome.status == "duplicate":
            self._first[envelope.get("message_id")] = outcome
        return outcome

    def flush(self, log_rows: list[dict] | None = None) -> None:
        """Commit the batch; the request-log rows (when given) go into the same transaction."""
        if not log_rows:
            self.ingestor.flush()
            return
        self.ingestor.flush(extra=lambda conn: requestlog.append(_InTransaction(conn), log_rows))  # type: ignore[arg-type]

    def write_log(self, rows: list[dict]) -> None:
        requestlog.append(self.store.engine, rows)

    def prior_refusal(self, message_id: str) -> Any | None:
        """For a repeated message id: the quarantine verdict of its first delivery, if it was refused.

        A sender that repeats a refused message must get the same refusal again, not a 200. The
        core's duplicate Outcome says what happened to the first delivery; only a refused one
        needs its problems from the store.
        """
        known = self._first.get(message_id)
        inbox = models.InboxEntry.__table__
        quarantine = models.QuarantineItem.__table__
        with self.store.engine.connect() as conn:
            if known is not None:  # the core said what happened to the first delivery
                first: Any = (known.first_status, known.first_reason)
            else:
                first = conn.execute(
                    select(inbox.c.outcome, inbox.c.reason).where(inbox.c.message_id == message_id)
                ).first()
            if first is None or first[0] != "quarantined":
                return None
            problems = conn.execute(
                select(quarantine.c.problems)
                .where(quarantine.c.message_id == message_id)
                .order_by(quarantine.c.seq)
                .limit(1)
            ).scalar_one_or_none()
        items = orjson.loads(problems) if problems else []
        errors = [
            Problem(
                p.get("pointer", ""),
                p.get("code", ""),
                p.get("message", ""),
                line=p.get("line"),
                column=p.get("column"),
            )
            for p in items
        ]
        return PriorRefusal(first[1] or "invalid", Verdict(flow=None, errors=errors))


class _InTransaction:
    """Lets `requestlog.append` write inside the core's flush transaction (it expects an engine)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    @contextlib.contextmanager
    def begin(self) -> Iterator[Any]:
        yield self.conn


@dataclass(frozen=True)
class PriorRefusal:
    """Looks like a quarantine Outcome so the HTTP mapping answers it the same way."""

    reason: str
    verdict: Verdict
    status: str = "quarantined"
    version: int | None = None


def _view(participation: dict, result: dict | None) -> dict:
    view = {
        "associationId": participation["association_id"],
        "associationType": ASSOCIATION_TYPE,
        "role": "student",
        "state": participation["state"],
        "person": participation["student_id"],
        "offering": participation["offering_id"],
    }
    if result is not None:
        view["result"] = result
    return view
