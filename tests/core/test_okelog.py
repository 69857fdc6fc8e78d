"""OKE-log: JSONL export, determinism, and rebuilding a store by replaying the log."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import orjson
import pytest
from core_builders import (
    EV_V1,
    O_PF,
    O_V1,
    O_V2,
    World,
    assoc_id,
    attendance_body,
    env,
    scored_body,
    session_report_env,
    text_env,
)

from oke_core.ingest import Ingestor
from oke_core.okelog import INPUT_KINDS, replay_log
from oke_core.planning import load_planning
from oke_core.policy import load_policy


def run_scenario(ing: Ingestor) -> None:
    a, b, c = assoc_id(0, O_V1), assoc_id(1, O_V1), assoc_id(2, O_V2)
    pf = assoc_id(3, O_PF)
    ing.receive_many(
        [
            env("m1", "2026-09-14T11:00:00Z", a, attendance_body(a)),
            env("m2", "2026-09-16T11:00:00Z", a, scored_body(a, raw=33)),
            env("m2", "2026-09-16T11:00:00Z", a, scored_body(a, raw=33)),
            env("m3", "2026-09-16T12:00:00Z", b, scored_body(b, raw=12)),
            env("m4", "2026-09-17T12:00:00Z", c, scored_body(c, score="6.1", final=True)),
            text_env("m5", "2026-09-17T13:00:00Z", b, '{"result": {'),
            env("m6", "2026-09-18T13:00:00Z", pf, scored_body(pf, raw=7, max_raw=10, score="passed")),
            session_report_env("m7", "2026-09-18T14:00:00Z", O_V1, "Stroomstoring"),
        ]
    )
    ing.apply_event(
        {
            "event_id": "e1",
            "at": "2026-09-21T09:00:00Z",
            "type": "cut_score_released",
            "exam_version_id": EV_V1,
            "cut_score": 30,
            "released_by": "examencommissie",
        }
    )
    ing.apply_event(
        {
            "event_id": "e2",
            "at": "2026-09-22T09:00:00Z",
            "type": "complaint_filed",
            "case_id": "K1",
            "association_id": b,
            "reason": "inzage",
        }
    )
    ing.apply_event(
        {
            "event_id": "e3",
            "at": "2026-10-02T09:00:00Z",
            "type": "complaint_decided",
            "case_id": "K1",
            "outcome": "upheld",
            "decided_by": "examencommissie",
        }
    )
    ing.receive(env("m8", "2026-10-05T09:00:00Z", b, scored_body(b, raw=31)))
    ing.apply_event(
        {
            "event_id": "e4",
            "at": "2026-10-06T09:00:00Z",
            "type": "exception_approved",
            "offering_id": O_V1,
            "decided_by": "examencommissie",
        }
    )
    ing.advance_to(date(2027, 1, 31))
    ing.flush()


def test_log_has_one_entry_per_message_and_exports_as_sorted_jsonl(make_ingestor, store) -> None:
    ing = make_ingestor("eduarte")
    run_scenario(ing)
    out = io.BytesIO()
    n = store.export_log(out)
    lines = out.getvalue().splitlines()
    assert n == len(lines) > 20
    entries = [orjson.loads(x) for x in lines]
    assert [e["seq"] for e in entries] == list(range(1, n + 1))
    assert sum(e["kind"] == "message" for e in entries) == ing.counts.received == 9
    assert all(list(e) == sorted(e) for e in entries)
    transitions = [e for e in entries if e["kind"] == "transition"]
    assert all(e["before"] != e["after"] and e["association_id"] for e in transitions)


def test_replaying_the_log_rebuilds_the_same_store(
    make_ingestor, store, store_factory, planning, contract
) -> None:
    run_scenario(make_ingestor("eduarte"))
    rebuilt = store_factory("rebuilt")
    # the table keeps each body once and points at it; replaying needs the entries with their bodies
    with pytest.raises(ValueError, match="points at a stored body"):
        replay_log(iter(list(store.log())), store_factory("slim"), planning, load_policy("eduarte"), contract)
    entries = list(store.log(bodies=True))
    assert {e["kind"] for e in entries} & INPUT_KINDS
    replay_log(iter(entries), rebuilt, planning, load_policy("eduarte"), contract)
    original, copy = store.dump(), rebuilt.dump()
    for table in original:
        assert copy[table] == original[table], table


def test_same_input_gives_byte_identical_log(tmp_path: Path, contract) -> None:
    exports = []
    for n in range(2):
        from oke_core.store import Store

        plan = load_planning(World().write(tmp_path / f"p{n}"))
        store = Store.open(f"sqlite:///{tmp_path / f'krs{n}.sqlite'}")
        run_scenario(Ingestor(store, plan, load_policy("eduarte"), contract, batch_size=3 + n))
        buf = io.BytesIO()
        store.export_log(buf)
        exports.append(buf.getvalue())
        store.close()
    assert exports[0] == exports[1]


def test_a_writer_stopped_between_checkpoints_is_caught_up_from_the_log(
    store_factory, planning_dir: Path, contract
) -> None:
    """Bulk ingest writes the result table only at checkpoints; the log is the source of truth.

    A writer that stops after flushing its log but before its checkpoint leaves a stale result
    table; the next Ingestor on that store must rebuild it from the log, equal to a clean run.
    """
    from oke_core.store import models

    reference = store_factory("reference")
    run_scenario(Ingestor(reference, load_planning(planning_dir), load_policy("eduarte"), contract))

    crashed = store_factory("crashed")

    class StopsBeforeCheckpoints(Ingestor):
        """Every flush stores the log and deliveries, none the results (a subclass, not a patch:
        the compiled Ingestor calls its own methods directly)."""

        def flush(self, extra=None, *, checkpoint=True):  # noqa: ANN001, ANN201
            super().flush(extra, checkpoint=False)

    writer = StopsBeforeCheckpoints(
        crashed, load_planning(planning_dir), load_policy("eduarte"), contract, batch_size=2
    )
    run_scenario(writer)
    last_seq = max(e["seq"] for e in crashed.log())
    assert last_seq == max(e["seq"] for e in reference.log())
    assert crashed.count(models.Result) == 0 < reference.count(models.Result)
    assert int(crashed.meta("results_at") or 0) < last_seq

    reopened = Ingestor(crashed, load_planning(planning_dir), load_policy("eduarte"), contract)
    assert crashed.meta("results_at") == str(last_seq)
    original, caught_up = reference.dump(), crashed.dump()
    for table in original:
        assert caught_up[table] == original[table], table
    # and it carries on from there like any other writer
    b = assoc_id(1, O_V1)
    out = reopened.receive(env("m9", "2027-02-01T09:00:00Z", b, scored_body(b, raw=35)))
    reopened.flush()
    assert out.status == "applied" and crashed.result(b)["versions"] == 3
