"""The KRS database resource on PostgreSQL (OKE_TEST_PG_URL): same replay, same files as on SQLite."""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import create_engine, text

from assets import runtime
from assets.resources import KrsDatabase
from oke_core.policy import load_policy
from oke_core.reports.invariants import evaluate_all

PG = os.environ.get("OKE_TEST_PG_URL")


@pytest.mark.skipif(not PG, reason="OKE_TEST_PG_URL not set (CI and scripts/test.sh set it)")
def test_replay_into_postgres_matches_sqlite(graph, tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(graph.folder, folder)
    (folder / "results.csv").unlink()
    scenario = f"pgtest_{os.getpid()}"
    db = KrsDatabase(url=PG)
    try:
        out = runtime.replay_rehearsal(scenario, folder, db)
        assert (
            out["intake"]["received"]
            == out["intake"]["applied"] + out["intake"]["duplicates"] + out["intake"]["quarantined"]
        )
        assert (folder / "results.csv").read_bytes() == (graph.folder / "results.csv").read_bytes()
        assert (folder / "quarantine.jsonl").read_bytes() == (graph.folder / "quarantine.jsonl").read_bytes()
        store = db.open(folder, scenario)
        try:
            checks = evaluate_all(store, load_policy(runtime.read_manifest(folder).policy), folder)
        finally:
            store.close()
        assert all(c.passed for c in checks), [c.detail for c in checks if not c.passed]
    finally:
        engine = create_engine(PG)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "oke_{scenario}" CASCADE'))
        engine.dispose()
