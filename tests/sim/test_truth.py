"""The ground truth is exact: every message is what the truth says, every participation has a result."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from sim_support import SimOut

from oke_sim.faults import EXPECTED
from oke_sim.grading import convert
from oke_sim.scenario import load_scenario
from oke_sim.selfcheck import self_check


@pytest.mark.parametrize("run", ["tiny", "faulty", "supplier"])
def test_every_valid_message_passes_the_contract_and_every_rejected_one_fails(
    run: str, request: pytest.FixtureRequest
) -> None:
    out: SimOut = request.getfixturevalue(run)
    report = self_check(out.dir)
    assert report.checked == out.summary.messages
    assert report.ok, report.failures[:5]


def test_every_fault_kind_is_injected_and_recorded_with_its_expected_outcome(faulty: SimOut) -> None:
    faults = faulty.faults()
    assert {f["fault"] for f in faults} == set(EXPECTED)
    for f in faults:
        assert f["expected"] == EXPECTED[f["fault"]]
    assert Counter(f["fault"] for f in faults) == Counter(faulty.summary.faults)


def test_fault_records_match_the_messages(faulty: SimOut) -> None:
    messages = faulty.jsonl("messages.jsonl")
    by_id: dict[str, list[dict]] = defaultdict(list)
    for m in messages:
        by_id[m["message_id"]].append(m)
    assoc_ids = {a["association_id"]: a for a in faulty.planning("associations")}
    students = {a["association_id"]: a["student_id"] for a in assoc_ids.values()}
    offerings = {a["association_id"]: a["offering_id"] for a in assoc_ids.values()}
    for f in faulty.faults():
        sent = by_id[f["message_id"]]
        assert sent, f
        last = [m for m in sent if m["sent_at"] == f["sent_at"]][0]
        kind = f["fault"]
        if kind == "duplicate":
            assert len(sent) >= 2 and all(m.get("body") == sent[0].get("body") for m in sent)
        else:
            assert len(sent) == 1, f
        if kind == "broken_json":
            assert "body_text" in last and "body" not in last
        elif kind == "unknown_association":
            assert last["path"].rsplit("/", 1)[1] not in assoc_ids
        elif kind == "wrong_student":
            aid = last["path"].rsplit("/", 1)[1]
            assert last["body"]["person"] != students[aid] and last["body"]["offering"] == offerings[aid]
        elif kind == "wrong_component":
            aid = last["path"].rsplit("/", 1)[1]
            assert last["body"]["offering"] != offerings[aid] and last["body"]["person"] == students[aid]


def test_out_of_order_is_a_real_reordering(faulty: SimOut) -> None:
    messages = faulty.jsonl("messages.jsonl")
    ooo = {f["message_id"] for f in faulty.faults() if f["fault"] == "out_of_order"}
    assert ooo
    for m in messages:
        if m["message_id"] in ooo:
            assert m["body"]["result"]["state"] == "in progress"
            earlier = [
                x
                for x in messages
                if x["path"] == m["path"]
                and x["sent_at"] < m["sent_at"]
                and x.get("body", {}).get("result", {}).get("state") == "completed"
            ]
            assert earlier, "the stale attendance message must come after a completed result"


def test_late_deliveries_breach_the_export_deadline(faulty: SimOut) -> None:
    from oke_sim.workdays import SimCalendar

    params = load_scenario("vendor-faults").params
    cal = SimCalendar(dt.date.fromisoformat(params["calendar"]["year_start"]), 800, [])
    deadline = params["export"]["deadline_working_days"]
    truth = {r["association_id"]: r for r in faulty.results()}
    late = [f for f in faulty.faults() if f["fault"] == "late_delivery"]
    assert late
    for f in late:
        marked = cal.day_of_iso(truth[f["association_id"]]["marked_on"])
        sent = cal.day_of_iso(f["sent_at"][:10])
        # weekends and holidays only: closure days would make the gap larger still
        assert cal.working_days_between(marked, sent) > deadline


def test_one_truth_result_per_participation_and_it_matches_the_last_delivery(supplier: SimOut) -> None:
    assocs = supplier.planning("associations")
    results = supplier.results()
    assert sorted(r["association_id"] for r in results) == sorted(a["association_id"] for a in assocs)
    rejected = {f["message_id"] for f in supplier.faults() if f["expected"].startswith("quarantined")}
    last_raw: dict[str, int] = {}
    for m in supplier.jsonl("messages.jsonl"):
        if m["message_id"] in rejected or "body" not in m:
            continue
        consumer = m["body"].get("result", {}).get("consumers", [{}])[0]
        if "rawScore" in consumer:
            last_raw[m["path"].rsplit("/", 1)[1]] = consumer["rawScore"]
    components = {c["component_id"]: c for c in supplier.planning("components")}
    checked = 0
    for r in results:
        if not r["complete"] or r["attendance"] != "present":
            continue
        assert last_raw[r["association_id"]] == r["raw_score"], r
        comp = components[r["component_id"]]
        if r["cut_score"] is not None:
            grade, passed = convert(
                comp["result_value_type"],
                r["raw_score"],
                r["max_raw_score"],
                r["cut_score"],
            )
            assert (grade, passed) == (r["grade"], r["passed"])
            checked += 1
    assert checked > 100


def test_variant2_results_end_final_with_the_definitive_grade(supplier: SimOut) -> None:
    finals: dict[str, dict] = {}
    for m in supplier.jsonl("messages.jsonl"):
        body = m.get("body") or {}
        consumer = body.get("result", {}).get("consumers", [{}])[0]
        if consumer.get("final") is True:
            finals[m["path"].rsplit("/", 1)[1]] = body["result"]
    v2 = [
        r for r in supplier.results() if r["variant"] == 2 and r["complete"] and r["attendance"] == "present"
    ]
    assert v2
    for r in v2:
        assert finals[r["association_id"]]["score"] == r["grade"]


def test_resits_link_to_the_original_participation(baseline: SimOut) -> None:
    assocs = {a["association_id"]: a for a in baseline.planning("associations")}
    resits = [a for a in assocs.values() if a["attempt"] > 1]
    assert resits
    offerings = {o["offering_id"]: o for o in baseline.planning("offerings")}
    for a in resits:
        original = assocs[a["original_association_id"]]
        assert original["attempt"] == 1 and original["student_id"] == a["student_id"]
        assert (
            offerings[original["offering_id"]]["component_id"] == offerings[a["offering_id"]]["component_id"]
        )
        assert offerings[original["offering_id"]]["start"] < offerings[a["offering_id"]]["start"]
        assert original["offering_id"] != a["offering_id"]


def test_cut_scores_are_released_once_per_version_before_conversion(baseline: SimOut) -> None:
    events = baseline.jsonl("events.jsonl")
    released = Counter(e["exam_version_id"] for e in events if e["type"] == "cut_score_released")
    assert released and set(released.values()) == {1}
    cuts = {e["exam_version_id"]: e["cut_score"] for e in events if e["type"] == "cut_score_released"}
    for r in baseline.results():
        if r["cut_score"] is not None:
            assert cuts[r["exam_version_id"]] == r["cut_score"]


def test_planning_references_are_consistent(baseline: SimOut) -> None:
    students = {s["student_id"] for s in baseline.planning("students")}
    components = {c["component_id"]: c for c in baseline.planning("components")}
    offerings = {o["offering_id"]: o for o in baseline.planning("offerings")}
    numbers = [s["student_number"] for s in baseline.planning("students")]
    assert len(set(numbers)) == len(numbers) and all(6 <= len(n) <= 7 for n in numbers)
    for o in offerings.values():
        versions = {v["exam_version_id"] for v in components[o["component_id"]]["versions"]}
        assert o["exam_version_id"] in versions
    per_offering = Counter(a["offering_id"] for a in baseline.planning("associations"))
    for a in baseline.planning("associations"):
        assert a["student_id"] in students and a["offering_id"] in offerings
    for oid, n in per_offering.items():
        assert n <= offerings[oid]["capacity"]
    assert any(s["tussenvoegsel"] for s in baseline.planning("students"))
