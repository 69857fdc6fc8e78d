"""Many clients at once: nothing lost, nothing doubled (SQLite WAL here, PostgreSQL when available)."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from http_support import ASSOCIATIONS, pg_url, scored
from sqlalchemy import func, select, text

from oke.http.app import ServerConfig
from oke_core import requestlog
from oke_core.store import models


def hammer(srv, copies: int = 2, per_association: int = 20, workers: int = 24) -> list[int]:
    """Every distinct message is sent `copies` times, all at once, from `workers` threads."""
    token = srv.token()
    jobs = []
    for a, association in enumerate(ASSOCIATIONS):
        for k in range(per_association):
            body = scored(raw=k + 1)
            jobs += [(f"m-{a}-{k}", association, body)] * copies

    def send(job: tuple[str, str, dict]) -> int:
        mid, association, body = job
        with httpx.Client(base_url=srv.url, timeout=60) as http:
            return http.patch(
                f"/associations/{association}",
                content=json.dumps(body),
                headers={**srv.headers(token), "X-OKE-Message-Id": mid},
            ).status_code

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(send, jobs))


def check_counts(srv, statuses: list[int], distinct: int) -> None:
    assert statuses.count(200) == len(statuses)
    srv.thread.stop()
    store = srv.store
    assert store.count(models.ResultVersion) == distinct  # none lost, none doubled
    assert store.count(models.InboxEntry) == distinct
    with store.engine.connect() as conn:
        table = requestlog.TABLE
        rows = dict(
            conn.execute(
                select(table.c.outcome, func.count())
                .where(table.c.method == "PATCH")
                .group_by(table.c.outcome)
            ).all()
        )
    assert rows == {"applied": distinct, "duplicate": len(statuses) - distinct}


def test_concurrent_patches_on_sqlite(server):
    statuses = hammer(server)
    check_counts(server, statuses, distinct=len(ASSOCIATIONS) * 20)


@pytest.mark.skipif(pg_url() is None, reason="OKE_TEST_PG_URL not set")
def test_concurrent_patches_on_postgresql(serve):
    schema = "http_" + uuid.uuid4().hex[:10]
    srv = serve(db=pg_url(), schema=schema)
    try:
        statuses = hammer(srv)
        check_counts(srv, statuses, distinct=len(ASSOCIATIONS) * 20)
    finally:
        with srv.store.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def test_concurrent_patches_with_ingest_in_its_own_process(serve):
    srv = serve(config=ServerConfig(writer="process"))
    statuses = hammer(srv, per_association=10)
    check_counts(srv, statuses, distinct=len(ASSOCIATIONS) * 10)
