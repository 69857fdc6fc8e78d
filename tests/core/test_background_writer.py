"""Bulk ingest's background writer (a second process writing SQLite batches): same rows, errors surface.

Each test runs the real writer process on a real SQLite file; only the threshold is lowered
(``background_after=0``) so small streams use it from their first batch.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from core_builders import O_V1, O_V2, assoc_id, env, message_plans, message_stream, scored_body
from hypothesis import HealthCheck, given, settings

from oke_core import ingest as ingest_module
from oke_core.ingest import BACKGROUND_AFTER, Ingestor
from oke_core.policy import load_policy
from oke_core.replay import feed
from oke_core.store import Store, models
from oke_core.store.writer import BackgroundWriter, WriteFailed


class CountingWriter(BackgroundWriter):
    """The real writer, remembering its instances (``sent`` counts their batches)."""

    started: list[CountingWriter] = []

    def __init__(self, database: str) -> None:
        super().__init__(database)
        CountingWriter.started.append(self)


class SlowWriter(CountingWriter):
    """Hands each batch to the process only when its answer is needed: the slowest a writer
    process can be, so everything the Ingestor does meanwhile happens with batches in flight."""

    def __init__(self, database: str) -> None:
        self._held: list[bytes | None] = []
        super().__init__(database)

    def _dispatch(self, data: bytes | None) -> None:
        self._held.append(data)
        if data is None:  # closing: everything goes
            while self._held:
                BackgroundWriter._dispatch(self, self._held.pop(0))

    def _answer(self) -> None:
        if self._held:  # the oldest batch only: it is stored now, after whatever ran meanwhile
            BackgroundWriter._dispatch(self, self._held.pop(0))
        super()._answer()


class DyingWriter(BackgroundWriter):
    """Its process is killed before the first batch reaches it."""

    def submit(self, statements: Any) -> int:
        if self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        return super().submit(statements)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Callable[[str], Store]]:
    """Stores on SQLite files only: the writer process is for SQLite (PostgreSQL writes in place)."""
    opened: list[Store] = []

    def make(name: str) -> Store:
        opened.append(Store.open(f"sqlite:///{tmp_path / (name + '.sqlite')}"))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> type[CountingWriter]:
    CountingWriter.started = []
    monkeypatch.setattr(ingest_module, "BackgroundWriter", CountingWriter)
    return CountingWriter


@pytest.fixture
def slow(monkeypatch: pytest.MonkeyPatch) -> type[SlowWriter]:
    CountingWriter.started = []
    monkeypatch.setattr(ingest_module, "BackgroundWriter", SlowWriter)
    return SlowWriter


def _ingestor(store: Any, planning: Any, contract: Any, **kwargs: Any) -> Ingestor:
    return Ingestor(store, planning, load_policy("eduarte"), contract, **kwargs)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message_plans(max_size=60))
def test_the_writer_process_stores_exactly_what_this_process_would(
    sqlite_store, planning, contract, slow, plan
) -> None:
    """Including duplicates of messages whose register rows are still on their way (inbox_batch=4)."""
    msgs = message_stream(plan)
    here = sqlite_store(f"here{uuid.uuid4().hex}")
    there = sqlite_store(f"there{uuid.uuid4().hex}")
    counts_here = _ingestor(
        here, planning, contract, batch_size=3, inbox_batch=4, background_after=None
    ).receive_many(msgs)
    slow.started.clear()
    counts_there = _ingestor(
        there, planning, contract, batch_size=3, inbox_batch=4, background_after=0
    ).receive_many(msgs)
    assert counts_there == counts_here
    if len(msgs) > 3:  # a second batch exists: it went to the writer process
        assert slow.started and slow.started[0].sent >= 1
    assert there.dump() == here.dump()


@pytest.mark.parametrize("inbox_batch", [4, 10, 25])
def test_resent_messages_are_recognised_while_their_register_rows_are_on_their_way(
    sqlite_store, planning, contract, slow, inbox_batch: int
) -> None:
    """Resent messages 1-20 messages after the first delivery, one message a batch, register
    groups rarer than the writer's depth: some resends meet their first delivery's register row
    still in flight, some just stored while the lookup for their batch was already running."""
    aids = [assoc_id(s, o) for s in range(4) for o in (O_V1, O_V2)]
    first = [
        env(
            f"m{i}",
            f"2026-09-{15 + i // 40}T{8 + i % 40 // 4:02d}:{i % 4 * 15:02d}:00Z",
            a,
            scored_body(a, raw=i % 50),
        )
        for i, a in enumerate(aids[i % len(aids)] for i in range(120))
    ]
    msgs: list[dict[str, Any]] = []
    for i, m in enumerate(first):
        msgs.append(m)
        if i >= 20 and i % 2:
            msgs.append(first[i - 1 - i % 19])  # sent again, unchanged
    stores = []
    for background in (None, 0):
        store = sqlite_store(f"resend{inbox_batch}{background}")
        ing = _ingestor(
            store, planning, contract, batch_size=1, inbox_batch=inbox_batch, background_after=background
        )
        counts = ing.receive_many(msgs)
        assert counts.duplicates == len(msgs) - len(first)
        stores.append(store)
    assert slow.started and slow.started[0].sent > BackgroundWriter.DEPTH
    assert stores[1].dump() == stores[0].dump()


def test_a_store_made_with_smaller_pages_keeps_them_and_takes_the_same_ingest(
    sqlite_store, planning, contract, counting, tmp_path: Path
) -> None:
    """New stores get 16 KiB pages; one made by an earlier version (4 KiB, the SQLite default)
    keeps its pages and stores the same rows, through the writer process too."""
    old_file = tmp_path / "old.sqlite"
    with closing(sqlite3.connect(old_file)) as db:
        db.execute("PRAGMA page_size=4096")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE made_by_an_earlier_version (x)")
    old = Store.open(f"sqlite:///{old_file}")
    new = sqlite_store("new")
    msgs = message_stream([("scored", s % 4, O_V1, 20 + s, s % 5) for s in range(40)])
    for store in (old, new):
        counts = _ingestor(store, planning, contract, batch_size=4, background_after=0).receive_many(msgs)
        assert counts.applied == len(msgs)
    assert len(counting.started) == 2
    try:
        assert old.dump() == new.dump()
        page_sizes = []
        for path in (old_file, Path(str(new.engine.url.database))):
            with closing(sqlite3.connect(path)) as db:
                page_sizes.append(db.execute("PRAGMA page_size").fetchone()[0])
        assert page_sizes == [4096, 16384]
    finally:
        old.close()


def test_absent_values_are_stored_as_sql_null_in_both_processes(
    sqlite_store, planning, contract, counting
) -> None:
    """``None`` and ``bool`` are bound through registered adapters (store/writer.py, for speed):
    a NULL must still arrive as NULL and a bool as the integer 0 or 1 (what SQLAlchemy reads back
    as a bool), not as text, whether this process writes or the writer process does."""
    msgs = message_stream([("scored", s % 4, O_V1, 20 + s, s % 5) for s in range(12)])
    queries = {
        "log": "SELECT count(*), sum(typeof(before) = 'null') FROM oke_log WHERE kind = 'message'",
        "register": "SELECT count(*), sum(typeof(reason) = 'null') FROM inbox",
        "result": "SELECT count(*), sum(typeof(definitive_on) = 'null') FROM result",
        "text 'None'": "SELECT count(*), count(*) FROM oke_log WHERE 'None' IN (rule, before, reason) "
        "OR '' IN (rule, before, reason)",
        "bools": "SELECT group_concat(DISTINCT typeof(final) || ':' || final), "
        "group_concat(DISTINCT typeof(needs_cut_score) || ':' || needs_cut_score) FROM result",
    }
    found = []
    for background in (None, 0):
        store = sqlite_store(f"nulls{background}")
        ing = _ingestor(store, planning, contract, batch_size=4, background_after=background)
        assert ing.receive_many(msgs).applied == len(msgs)
        with closing(sqlite3.connect(str(store.engine.url.database))) as db:
            found.append({k: db.execute(q).fetchone() for k, q in queries.items()})
    assert len(counting.started) == 1  # the second run went through the writer process
    for seen in found:
        assert seen["log"][0] == len(msgs) and seen["log"][1] == len(msgs)
        assert seen["register"] == (len(msgs), len(msgs))
        assert seen["result"][0] == 4 and seen["result"][1] == 4
        assert seen["text 'None'"] == (0, 0)
        assert seen["bools"] == ("integer:0", "integer:1")  # no supplier final; variant 1 waits
    assert found[0] == found[1]


def test_a_bulk_scope_spans_calls_and_survives_events(
    sqlite_store, planning, contract, counting, tmp_path: Path
) -> None:
    """``oke ingest`` feeds batch by batch with events in between: one writer for the whole run."""
    import orjson

    msgs = message_stream(
        [("scored", s % 4, O_V1, 20 + s, s % 5) for s in range(30)]
        + [("duplicate", 0, O_V1, 0, 5), ("broken", 1, O_V1, 0, 5)]
    )
    messages = tmp_path / "messages.jsonl"
    messages.write_bytes(b"".join(orjson.dumps(m) + b"\n" for m in msgs))
    events = tmp_path / "events.jsonl"
    event = {
        "event_id": "e1",
        "at": "2026-09-17T09:00:00Z",
        "type": "cut_score_released",
        "exam_version_id": planning.offerings[O_V1].exam_version_id,
        "cut_score": 30,
        "released_by": "examencommissie",
    }
    events.write_bytes(orjson.dumps(event) + b"\n" + orjson.dumps(event | {"event_id": "e2"}) + b"\n")
    stores = []
    for background in (None, 0):
        store = sqlite_store(f"feed{background}")
        counts = feed(
            _ingestor(store, planning, contract, batch_size=4, background_after=background), messages, events
        )
        assert counts.balanced and counts.received == len(msgs) and counts.events == 2
        stores.append(store)
    assert len(counting.started) == 1 and counting.started[0].sent > 3
    assert stores[1].dump() == stores[0].dump()


def test_a_batch_the_writer_cannot_store_is_an_error_and_is_not_half_stored(
    sqlite_store, planning, contract, counting
) -> None:
    store = sqlite_store("clash")
    ing = _ingestor(store, planning, contract, batch_size=2, background_after=0)
    db = store.engine.url.database
    clash = ing.log.seq + 12  # a few batches on
    # another writer takes a log sequence number this Ingestor will use
    with sqlite3.connect(db) as other:
        other.execute(
            "INSERT INTO oke_log (seq, at, kind, actor) VALUES (?, '2026-09-01T00:00:00Z', 'clock', 'other')",
            (clash,),
        )
    a, b = assoc_id(0, O_V1), assoc_id(1, O_V1)
    msgs = [
        env(f"m{i}", f"2026-09-{10 + i}T10:00:00Z", (a, b)[i % 2], scored_body((a, b)[i % 2], raw=20 + i))
        for i in range(12)
    ]
    with pytest.raises(
        WriteFailed, match=r"could not store batch \d+: IntegrityError: UNIQUE constraint failed"
    ):
        ing.receive_many(msgs)
    writer = counting.started[0]
    assert writer._proc.poll() is not None  # stopped, not left behind
    # the batches before were stored; the failed one was rolled back as a whole, not in part
    seqs = [seq for seq, _kind in _log_rows(db) if seq != clash]
    assert 1 <= len(seqs) < clash - 1
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_writer_process_that_dies_is_an_error_not_a_hang(
    sqlite_store, planning, contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "BackgroundWriter", DyingWriter)
    store = sqlite_store("dies")
    ing = _ingestor(store, planning, contract, batch_size=2, background_after=0)
    a = assoc_id(0, O_V1)
    msgs = [env(f"m{i}", f"2026-09-16T1{i}:00:00Z", a, scored_body(a, raw=20 + i)) for i in range(6)]
    with pytest.raises(WriteFailed, match="background writer"):
        ing.receive_many(msgs)


def test_small_inputs_and_memory_stores_keep_their_writes_in_process(
    sqlite_store, planning, contract, counting
) -> None:
    a = assoc_id(0, O_V1)
    msgs = [env(f"m{i}", f"2026-09-16T1{i}:00:00Z", a, scored_body(a, raw=20 + i)) for i in range(8)]
    _ingestor(sqlite_store("small"), planning, contract, batch_size=2).receive_many(msgs)  # default threshold
    memory = Store.open("sqlite://")
    _ingestor(memory, planning, contract, batch_size=2, background_after=0).receive_many(msgs)
    assert counting.started == []
    assert memory.result(a)["versions"] == 8


def _log_rows(db: str) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT seq, kind FROM oke_log ORDER BY seq"))


def test_oke_ingest_reports_a_failed_store_write_and_a_second_run_carries_on(
    tmp_path: Path, planning_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 20,000 messages `oke ingest` writes in the background; if that process dies the
    command says so (exit 1, no traceback) and the same command again completes the store."""
    import orjson
    from typer.testing import CliRunner

    from oke.cli import app

    start = datetime(2026, 9, 15, 8, 0, tzinfo=UTC)
    aids = [assoc_id(s, o) for s in range(4) for o in (O_V1, O_V2)]
    lines = []
    for i in range(BACKGROUND_AFTER + 3000):
        aid = aids[i % len(aids)]
        at = (start + timedelta(seconds=20 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(orjson.dumps(env(f"m{i:06d}", at, aid, scored_body(aid, raw=i % 50))))
    messages = tmp_path / "messages.jsonl"
    messages.write_bytes(b"\n".join(lines) + b"\n")
    runner = CliRunner()

    def ingest(db: Path) -> Any:
        return runner.invoke(
            app, ["ingest", str(messages), "--planning", str(planning_dir), "--db", str(db), "--json"]
        )

    with monkeypatch.context() as patch:
        patch.setattr(ingest_module, "BackgroundWriter", DyingWriter)
        failed = ingest(tmp_path / "krs.sqlite")
    assert failed.exit_code == 1, failed.output
    assert "background writer" in failed.stderr and "run the same command again" in failed.stderr
    assert "Traceback" not in failed.output + failed.stderr
    partial = Store.open(str(tmp_path / "krs.sqlite"))
    stored = partial.count(models.ResultVersion)  # the batches written before the writer took over
    partial.close()
    assert 0 < stored < len(lines)

    again = ingest(tmp_path / "krs.sqlite")
    assert again.exit_code == 0, again.output + again.stderr
    counts = orjson.loads(again.stdout)
    assert counts["received"] == len(lines)
    assert counts["duplicates"] == stored
    clean = ingest(tmp_path / "clean.sqlite")
    assert clean.exit_code == 0
    carried_on, once = Store.open(str(tmp_path / "krs.sqlite")), Store.open(str(tmp_path / "clean.sqlite"))
    try:
        # the same results as one clean run; only their place in the longer log differs
        def results(store: Store) -> list[dict[str, Any]]:
            return [{k: v for k, v in r.items() if k != "current_seq"} for r in store.dump()["result"]]

        assert results(carried_on) == results(once)
        assert carried_on.count(models.ResultVersion) == once.count(models.ResultVersion) == len(lines)
    finally:
        carried_on.close()
        once.close()
