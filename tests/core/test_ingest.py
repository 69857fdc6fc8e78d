"""Ingest: idempotency, order, corrections, quarantine and the accounting invariant (SQLite + PostgreSQL)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from core_builders import (
    EV_V1,
    O_V1,
    O_V2,
    STUDENTS,
    World,
    assoc_id,
    attendance_body,
    env,
    message_plans,
    message_stream,
    scored_body,
    session_report_env,
    text_env,
)
from hypothesis import HealthCheck, given, settings

from oke_core.ingest import Ingestor
from oke_core.planning import load_planning
from oke_core.policy import load_policy
from oke_core.store import Store, models

A = assoc_id(0, O_V1)
B = assoc_id(1, O_V1)


def test_same_message_twice_changes_nothing(make_ingestor, store: Store) -> None:
    ing = make_ingestor()
    msg = env("m1", "2026-09-16T11:00:00Z", A, scored_body(A))
    assert ing.receive(msg).status == "applied"
    ing.flush()
    log_tables = ("oke_log", "message_body", "krs_meta")  # message_body: the log's copy of a repeated body
    before = store.dump(exclude=log_tables)
    again = ing.receive(msg)
    ing.flush()
    assert again.status == "duplicate"
    assert (again.first_status, again.first_reason, again.first_message_id) == ("applied", None, "m1")
    assert store.dump(exclude=log_tables) == before
    log = list(store.log(A))
    assert [e["after"] for e in log if e["kind"] == "message"] == ["applied", "duplicate"]


def test_duplicate_detected_across_batches_and_restarts(make_ingestor, store, planning, contract) -> None:
    ing = make_ingestor(batch_size=2)
    msgs = [
        env(f"m{i}", f"2026-09-16T11:0{i}:00Z", assoc_id(i, O_V1), scored_body(assoc_id(i, O_V1)))
        for i in range(3)
    ]
    counts = ing.receive_many(msgs)
    assert (counts.received, counts.applied, counts.duplicates) == (3, 3, 0)
    fresh = Ingestor(store, planning, load_policy("eduarte"), contract)  # a new process on the same store
    counts = fresh.receive_many(msgs + msgs[:1])
    assert (counts.received, counts.applied, counts.duplicates) == (4, 0, 4)
    assert store.count(models.ResultVersion) == 3


def test_late_attendance_never_overwrites_completed_result(make_ingestor, store) -> None:
    ing = make_ingestor()
    ing.receive(env("m-score", "2026-09-16T11:00:00Z", A, scored_body(A, raw=45)))
    outcome = ing.receive(env("m-att", "2026-09-17T09:00:00Z", A, attendance_body(A)))
    ing.flush()
    assert (outcome.status, outcome.reason) == ("applied", "late-attendance-ignored")
    result = store.result(A)
    assert result["result_state"] == "completed" and result["raw_score"] == 45
    assert result["current_version"] == 1 and result["versions"] == 2
    versions = store.versions(A)
    assert [v["disposition"] for v in versions] == ["current", "ignored-out-of-order"]
    # each version shows what that delivery said, read from its body
    assert [(v["state"], v["raw_score"], v["score"], v["result_date"]) for v in versions] == [
        ("completed", 45, "7.0", "2026-09-16"),
        ("in progress", None, None, "2026-09-14"),
    ]


def test_correction_becomes_new_version_and_keeps_the_old(make_ingestor, store) -> None:
    ing = make_ingestor()
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=20, score="4.0")))
    out = ing.receive(env("m2", "2026-09-18T11:00:00Z", A, scored_body(A, raw=50, score="8.5")))
    ing.flush()
    assert (out.status, out.reason, out.version) == ("applied", "correction", 2)
    result = store.result(A)
    assert result["current_version"] == 2 and result["raw_score"] == 50 and result["corrections"] == 1
    assert [v["raw_score"] for v in store.versions(A)] == [20, 50]
    assert '"rawScore":20' in store.versions(A)[0]["body_text"]


def test_same_content_under_new_message_id_is_a_duplicate(make_ingestor) -> None:
    ing = make_ingestor()
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A)))
    out = ing.receive(env("m1-resent", "2026-09-16T12:00:00Z", A, scored_body(A)))
    assert (out.status, out.reason) == ("duplicate", "same-content")


def test_result_for_cancelled_association_is_accepted(tmp_path: Path, store_factory, contract) -> None:
    root = World().write(tmp_path / "p")
    lines = (root / "associations.jsonl").read_bytes().splitlines()
    rows = [orjson.loads(x) for x in lines]
    for r in rows:
        r["state"] = "canceled"
    (root / "associations.jsonl").write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    ing = Ingestor(store_factory("c"), load_planning(root), load_policy("eduarte"), contract)
    assert ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A))).status == "applied"


def test_quarantine_reasons_keep_original_text_and_problems(make_ingestor, store) -> None:
    ing = make_ingestor()
    unknown = "00000000-0000-4000-8000-999999999999"
    broken = '{"associationType": "componentOfferingAssociation", "result": {"state": "completed",}'
    bad = scored_body(A)
    del bad["result"]["resultDate"]
    cases = {
        "json-syntax": text_env("q1", "2026-09-16T11:00:00Z", A, broken),
        "invalid": env("q2", "2026-09-16T11:00:00Z", A, bad),
        "unknown-association": env("q3", "2026-09-16T11:00:00Z", unknown, scored_body(A)),
        "wrong-student": env("q4", "2026-09-16T11:00:00Z", A, scored_body(A, person=STUDENTS[3])),
        "wrong-component": env("q5", "2026-09-16T11:00:00Z", A, scored_body(A, offering=O_V2)),
        "unknown-offering": session_report_env("q6", "2026-09-16T11:00:00Z", unknown, "brand"),
    }
    for reason, msg in cases.items():
        out = ing.receive(msg)
        assert (out.status, out.reason) == ("quarantined", reason)
    ing.flush()
    rows = {r["reason"]: r for r in store.rows(models.QuarantineItem)}
    assert set(rows) == set(cases)
    assert rows["json-syntax"]["body_text"] == broken
    problems = orjson.loads(rows["invalid"]["problems"])
    assert any(p["pointer"] == "/result" and "resultDate" in p["message"] for p in problems)
    assert orjson.loads(rows["wrong-student"]["problems"])[0]["pointer"] == "/person"
    assert store.result(A) is None


def test_quarantined_message_is_applied_after_planning_arrives(tmp_path, store_factory, contract) -> None:
    partial = load_planning(World(drop_associations={B}).write(tmp_path / "partial"))
    full = load_planning(World().write(tmp_path / "full"))
    store = store_factory("q")
    ing = Ingestor(store, partial, load_policy("eduarte"), contract)
    counts = ing.receive_many(
        [
            env("m1", "2026-09-16T11:00:00Z", B, scored_body(B)),
            env("m2", "2026-09-16T11:00:00Z", A, scored_body(A)),
        ]
    )
    assert counts.quarantined == {"unknown-association": 1} and counts.applied == 1
    assert ing.reprocess_quarantine().quarantined == {"unknown-association": 1}  # still unknown
    added = ing.extend_planning(full)
    assert added["associations"] == 1
    again = ing.reprocess_quarantine()
    assert (again.received, again.applied, again.quarantined_total) == (1, 1, 0)
    assert store.result(B)["status"] == "complaint_window"
    assert [r["status"] for r in store.rows(models.QuarantineItem)] == ["released"]
    redelivered = ing.receive(env("m1", "2026-09-16T11:00:00Z", B, scored_body(B)))
    assert redelivered.status == "duplicate"


def test_session_report_is_stored_and_blocks_establishment_under_eduarte(make_ingestor, store) -> None:
    ing = make_ingestor("eduarte")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A)))
    ing.receive(session_report_env("sr1", "2026-09-16T12:00:00Z", O_V1, "Brandalarm om 10:15"))
    ing.apply_event(
        {
            "event_id": "e1",
            "at": "2026-09-20T08:00:00Z",
            "type": "cut_score_released",
            "exam_version_id": EV_V1,
            "cut_score": 30,
            "released_by": "examencommissie",
        }
    )
    from datetime import date

    ing.advance_to(date(2026, 11, 30))
    ing.flush()
    assert store.result(A)["status"] == "exception_open"
    [report] = list(store.rows(models.SessionReport))
    assert report["irregularities"] == "Brandalarm om 10:15" and "pv.pdf" in report["documents"]
    ing.apply_event(
        {
            "event_id": "e2",
            "at": "2026-12-01T08:00:00Z",
            "type": "exception_approved",
            "offering_id": O_V1,
            "decided_by": "examencommissie",
        }
    )
    ing.flush()
    assert store.result(A)["status"] in ("definitive", "appeal_window")


def test_unforeseen_extra_attempt_put_is_accepted(make_ingestor, store) -> None:
    ing = make_ingestor()
    new_id = "00000000-0000-4000-8000-000000000777"
    body = scored_body(A)
    body["result"]["consumers"][0]["executedOfferingName"] = "Zitting 0"
    body.update(
        associationId=new_id,
        role="student",
        state="associated",
        consumers=[{"consumerKey": "nl-test-admin", "attempt": 2, "orgAssociationId": A}],
    )
    out = ing.receive(
        {
            "message_id": "x1",
            "sent_at": "2026-10-01T10:00:00Z",
            "method": "PUT",
            "path": f"/associations/{new_id}",
            "body": body,
        }
    )
    ing.flush()
    assert out.status == "applied", out
    assert store.result(new_id)["attempt"] == 2
    assert next(store.rows(models.Participation, association_id=new_id))["original_association_id"] == A


def test_envelope_without_message_id_or_path_is_quarantined_not_lost(make_ingestor) -> None:
    ing = make_ingestor()
    out = ing.receive(
        {"sent_at": "2026-09-16T11:00:00Z", "method": "PATCH", "path": "/nowhere", "body": scored_body(A)}
    )
    assert (out.status, out.reason) == ("quarantined", "invalid")
    assert ing.counts.balanced


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message_plans())
def test_received_equals_applied_plus_duplicates_plus_quarantined(
    store_factory, planning, contract, plan
) -> None:
    store = store_factory(f"h{uuid.uuid4().hex}")  # a fresh store per example (examples can repeat)
    try:
        ing = Ingestor(store, planning, load_policy("eduarte"), contract, batch_size=7)
        msgs = message_stream(plan)
        counts = ing.receive_many(msgs)
        assert counts.received == len(msgs)
        assert counts.received == counts.applied + counts.duplicates + counts.quarantined_total
        log_outcomes = [e["after"] for e in store.log() if e["kind"] == "message"]
        assert len(log_outcomes) == len(msgs)
        assert (
            log_outcomes.count("quarantined")
            == store.count(models.QuarantineItem)
            == counts.quarantined_total
        )
        assert log_outcomes.count("duplicate") == counts.duplicates
        # each body is stored once; the exported log still carries every message exactly as sent
        out = io.BytesIO()
        store.export_log(out)
        details = [orjson.loads(x)["detail"] for x in out.getvalue().splitlines() if b'"kind":"message"' in x]
        assert [d.get("body", d.get("body_text")) for d in details] == [
            m.get("body", m.get("body_text")) for m in msgs
        ]
        assert not any("body" in orjson.loads(e["detail"]) for e in store.log() if e["kind"] == "message")
    finally:
        store.close()  # now, not after the last example: open PostgreSQL pools exhaust the server


def test_a_failing_input_keeps_the_batches_handled_before_it(make_ingestor, store: Store) -> None:
    """An unreadable line further on (or Ctrl-C) stops the ingest; what was handled is stored."""
    a = assoc_id(0, O_V1)

    def stream() -> Any:
        for i in range(7):
            yield env(f"m{i}", f"2026-09-16T1{i}:00:00Z", a, scored_body(a, raw=20 + i))
        raise ValueError("line 8: unreadable")

    ing = make_ingestor(batch_size=3)
    with pytest.raises(ValueError, match="line 8"):
        ing.receive_many(stream())
    assert store.count(models.ResultVersion) == 6  # two whole batches; the third was being read
