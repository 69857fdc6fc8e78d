"""The process invariants hold on a real rehearsal, and each one fails when the store is damaged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from oke_core.reports import summary
from oke_core.reports.counts import intake_counts
from oke_core.reports.invariants import INVARIANTS, evaluate, evaluate_all
from oke_core.store import models

Result = models.Result.__table__


@pytest.mark.parametrize("name", sorted(INVARIANTS))
def test_invariant_holds_on_tiny(tiny, name):
    inv = evaluate(name, tiny.store, tiny.policy, tiny.folder)
    assert inv.passed, f"{name}: {inv.detail}; examples: {inv.examples[:3]}"


def test_complaint_window_invariant_under_eduarte(tiny_eduarte):
    inv = evaluate(
        "no_definitive_before_complaint_window", tiny_eduarte.store, tiny_eduarte.policy, tiny_eduarte.folder
    )
    assert inv.counts["checked"] > 0
    assert inv.passed, inv.examples


def _one_definitive_variant1(store):
    comps = {c["component_id"]: c for c in store.rows(models.ExamComponent)}
    return next(
        r
        for r in store.rows(models.Result)
        if r["variant"] == 1 and r["definitive_on"] and comps[r["component_id"]]["cut_score_required"]
    )


def test_definitive_before_cut_score_is_caught(tampered):
    r = _one_definitive_variant1(tampered.store)
    with tampered.store.engine.begin() as conn:
        conn.execute(
            update(Result)
            .where(Result.c.association_id == r["association_id"])
            .values(definitive_on=r["cut_score_known_on"] - timedelta(days=1))
        )
    inv = evaluate("no_definitive_before_cut_score", tampered.store, tampered.policy, tampered.folder)
    assert not inv.passed
    assert inv.examples[0]["association_id"] == r["association_id"]


def test_a_result_left_waiting_for_a_released_cut_score_is_caught(tampered):
    r = _one_definitive_variant1(tampered.store)
    name = "no_wait_for_a_released_cut_score"
    assert evaluate(name, tampered.store, tampered.policy, tampered.folder).passed
    with tampered.store.engine.begin() as conn:
        conn.execute(
            update(Result)
            .where(Result.c.association_id == r["association_id"])
            .values(status="awaiting_cut_score", definitive_on=None, grade=None)
        )
    inv = evaluate(name, tampered.store, tampered.policy, tampered.folder)
    assert not inv.passed and inv.counts["violations"] == 1
    assert inv.examples[0]["association_id"] == r["association_id"]


def test_deadline_on_a_weekend_is_caught(tampered):
    r = next(tampered.store.rows(models.Result))
    saturday = r["marking_deadline"] + timedelta(days=(5 - r["marking_deadline"].weekday()) % 7)
    with tampered.store.engine.begin() as conn:
        conn.execute(
            update(Result)
            .where(Result.c.association_id == r["association_id"])
            .values(marking_deadline=saturday)
        )
    inv = evaluate("deadlines_on_working_days", tampered.store, tampered.policy, tampered.folder)
    assert not inv.passed and inv.examples[0]["why"] == "Saturday"


def test_lost_message_is_caught(tampered):
    log = models.OkeLogEntry.__table__
    with tampered.store.engine.begin() as conn:
        seq = conn.execute(select(log.c.seq).where(log.c.kind == "message").limit(1)).scalar_one()
        conn.execute(delete(log).where(log.c.seq == seq))
    inv = evaluate("nothing_lost", tampered.store, tampered.policy, tampered.folder)
    assert not inv.passed
    assert inv.counts["sent"] == inv.counts["received"] + 1


def test_missed_fault_is_caught(tampered):
    q = models.QuarantineItem.__table__
    with tampered.store.engine.begin() as conn:
        mid = conn.execute(select(q.c.message_id).where(q.c.reason == "json-syntax").limit(1)).scalar_one()
        conn.execute(delete(q).where(q.c.message_id == mid))
    inv = evaluate("faults_caught", tampered.store, tampered.policy, tampered.folder)
    assert not inv.passed
    assert any(e["message_id"] == mid for e in inv.examples)


def test_state_differing_from_truth_is_caught(tampered):
    r = next(r for r in tampered.store.rows(models.Result) if r["raw_score"] is not None)
    with tampered.store.engine.begin() as conn:
        conn.execute(
            update(Result)
            .where(Result.c.association_id == r["association_id"])
            .values(raw_score=r["raw_score"] + 1)
        )
    inv = evaluate("state_matches_truth", tampered.store, tampered.policy, tampered.folder)
    assert not inv.passed
    assert {
        "association_id": r["association_id"],
        "field": "raw_score",
        "truth": r["raw_score"],
        "krs": r["raw_score"] + 1,
    } in inv.examples


def test_summary_reports_counts_and_checks(tiny, tampered):
    from oke_core.reports import compliance

    c = compliance(tiny.store, tiny.policy, tiny.until, {"scenario": "tiny", "seed": 7})
    s = summary(intake_counts(tiny.store), c, evaluate_all(tiny.store, tiny.policy, tiny.folder))
    assert (
        s["counts"]["messages"]
        == s["counts"]["applied"] + s["counts"]["duplicates"] + s["counts"]["quarantined"]
    )
    assert s["counts"]["deadline_breaches"] == sum(d["late"] for d in c["deadlines"].values())
    assert [x["name"] for x in s["checks"]] == sorted(INVARIANTS)
    assert s["all_checks_passed"] is all(x["passed"] for x in s["checks"])
    with tampered.store.engine.begin() as conn:
        conn.execute(update(Result).values(raw_score=999))
    bad = summary(
        intake_counts(tampered.store), c, evaluate_all(tampered.store, tampered.policy, tampered.folder)
    )
    assert bad["all_checks_passed"] is False
