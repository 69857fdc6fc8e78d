"""The receiver's request log and the data behind the vendor report.

Every HTTP request the mock receiver answers is one row: accepted or refused, with the reasons
(JSON pointer + rule code), so a vendor can see exactly what happened to each message. Secrets and
tokens never reach this table; only the authenticated client_id does.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlmodel import Field, SQLModel

from oke_core.nul import storable

OUTCOMES = ("applied", "duplicate", "quarantined", "refused", "served", "error")


class RequestLogEntry(SQLModel, table=True):
    """One HTTP request as the receiver saw it."""

    __tablename__ = "request_log"

    seq: int | None = Field(default=None, primary_key=True)
    at: str = Field(index=True)  # RFC 3339 UTC, millisecond precision
    method: str
    path: str
    client_id: str | None = Field(default=None, index=True)
    status: int
    outcome: str  # one of OUTCOMES
    reason: str | None = None  # quarantine code or refusal rule, e.g. "invalid", "auth.insufficient-scope"
    message_id: str | None = Field(default=None, index=True)
    association_id: str | None = None
    flow: int | None = None
    version: int | None = None
    problems: str = "[]"  # JSON list of {pointer, code, message}


TABLE = RequestLogEntry.__table__  # type: ignore[attr-defined]
COLUMNS = tuple(c.name for c in TABLE.columns if c.name != "seq")


def ensure_table(engine: Engine) -> None:
    TABLE.create(engine, checkfirst=True)


def append(engine: Engine, rows: Sequence[dict]) -> None:
    """Batched insert: one statement, one transaction for the whole batch."""
    if not rows:
        return
    clean = [{c: _column_value(c, r.get(c)) for c in COLUMNS} for r in rows]
    with engine.begin() as conn:
        conn.execute(insert(TABLE), clean)


def _column_value(name: str, value: Any) -> object:
    """``value`` is whatever the caller's row holds; for ``problems`` a list of {pointer, code, message}."""
    if name == "problems":
        if value is None:
            return "[]"
        if not isinstance(value, str):
            return json.dumps(list(value), sort_keys=True, ensure_ascii=False)
    if isinstance(value, str):  # e.g. %00 in a URL: PostgreSQL text cannot hold a NUL
        return storable(value)
    return value


@dataclass(frozen=True)
class LoggedRequest:
    seq: int
    at: str
    method: str
    path: str
    client_id: str | None
    status: int
    outcome: str
    reason: str | None
    message_id: str | None
    association_id: str | None
    flow: int | None
    version: int | None
    problems: tuple[dict, ...]

    @property
    def accepted(self) -> bool:
        return self.status < 400

    def as_dict(self) -> dict:
        return {
            "seq": self.seq,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "client_id": self.client_id,
            "status": self.status,
            "accepted": self.accepted,
            "outcome": self.outcome,
            "reason": self.reason,
            "message_id": self.message_id,
            "association_id": self.association_id,
            "flow": self.flow,
            "version": self.version,
            "problems": list(self.problems),
        }


def iter_requests(engine: Engine, client_id: str | None = None, batch: int = 2000) -> Iterator[LoggedRequest]:
    """Stream the log in arrival order; rows are fetched in pages, never all at once."""
    ensure_table(engine)
    last = 0
    while True:
        stmt = select(TABLE).where(TABLE.c.seq > last).order_by(TABLE.c.seq).limit(batch)
        if client_id is not None:
            stmt = stmt.where(TABLE.c.client_id == client_id)
        with engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        if not rows:
            return
        for r in rows:
            yield LoggedRequest(
                seq=r["seq"],
                at=r["at"],
                method=r["method"],
                path=r["path"],
                client_id=r["client_id"],
                status=r["status"],
                outcome=r["outcome"],
                reason=r["reason"],
                message_id=r["message_id"],
                association_id=r["association_id"],
                flow=r["flow"],
                version=r["version"],
                problems=tuple(json.loads(r["problems"] or "[]")),
            )
        last = rows[-1]["seq"]


@dataclass
class VendorReport:
    """Counts plus every refused request with its reasons; accepted ones are counted, not listed."""

    total: int = 0
    accepted: int = 0
    refused: int = 0
    by_status: Counter = field(default_factory=Counter)
    by_outcome: Counter = field(default_factory=Counter)
    by_client: Counter = field(default_factory=Counter)
    by_reason: Counter = field(default_factory=Counter)
    requests: list[LoggedRequest] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "accepted": self.accepted,
            "refused": self.refused,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "by_outcome": dict(sorted(self.by_outcome.items())),
            "by_client": dict(sorted((k or "-", v) for k, v in self.by_client.items())),
            "by_reason": dict(sorted(self.by_reason.items())),
            "requests": [r.as_dict() for r in self.requests],
        }


def vendor_report(
    requests: Iterable[LoggedRequest], *, include_accepted: bool = True, limit: int | None = None
) -> VendorReport:
    """Summarise a request stream. `limit` caps the listed requests (the counts stay complete)."""
    rep = VendorReport()
    for r in requests:
        rep.total += 1
        if r.accepted:
            rep.accepted += 1
        else:
            rep.refused += 1
        rep.by_status[r.status] += 1
        rep.by_outcome[r.outcome] += 1
        rep.by_client[r.client_id] += 1
        if r.reason:
            rep.by_reason[r.reason] += 1
        if (include_accepted or not r.accepted) and (limit is None or len(rep.requests) < limit):
            rep.requests.append(r)
    return rep
