"""Statistical realism: rates in the output match the scenario's parameters within tolerance.

Tolerances are four standard errors of a binomial share, so a correct simulator fails by chance
far less than once in ten thousand runs, while a wrong rate (or an ignored parameter) is caught.
"""

from __future__ import annotations

import datetime as dt
import math

from sim_support import SimOut

from oke_sim.scenario import load_scenario
from oke_sim.workdays import SimCalendar, expand_closure_days


def _close(observed: int, total: int, p: float) -> None:
    se = math.sqrt(max(p * (1 - p), 1e-9) / total)
    share = observed / total
    assert abs(share - p) <= 4 * se + 1e-9, f"share {share:.4f} of {total} is not near {p:.4f} (se {se:.4f})"


def _calendar(name: str) -> tuple[dict, SimCalendar]:
    params = load_scenario(name).params
    cal = params["calendar"]
    return params, SimCalendar(
        dt.date.fromisoformat(cal["year_start"]), 800, expand_closure_days(cal["closure_days"])
    )


def test_attendance_rates(baseline: SimOut) -> None:
    params, _ = _calendar("variant1-baseline")
    att = params["attendance"]
    results = [r for r in baseline.results() if not r["deregistered"] and r["attendance"] != "notKnown"]
    assert len(results) > 800
    for kind in ("present", "notPresent", "notStarted", "notFinished"):
        _close(sum(r["attendance"] == kind for r in results), len(results), att[kind])
    everyone = baseline.results()
    _close(sum(r["deregistered"] for r in everyone), len(everyone), att["deregistered_share"])
    assert all(r["attendance"] == "notPresent" for r in everyone if r["deregistered"])


def test_marking_delays_and_late_share(baseline: SimOut) -> None:
    params, cal = _calendar("variant1-baseline")
    marking = params["marking"]
    deadline = marking["deadline_working_days"]
    delays = [
        cal.working_days_between(cal.day_of_iso(r["sitting_date"]), cal.day_of_iso(r["marked_on"]))
        for r in baseline.results()
        if r["marked_on"] and r["variant"] == 1
    ]
    assert len(delays) > 800
    late = sum(d > deadline for d in delays)
    _close(late, len(delays), marking["late_share"])
    on_time = [d for d in delays if d <= deadline]
    assert min(on_time) >= 1
    expected_mean = sum(int(k) * p for k, p in marking["on_time_working_days"].items())
    sd = math.sqrt(sum((int(k) - expected_mean) ** 2 * p for k, p in marking["on_time_working_days"].items()))
    assert abs(sum(on_time) / len(on_time) - expected_mean) < 4 * sd / math.sqrt(len(on_time))
    lo, hi = marking["late_extra_working_days"]
    assert all(deadline + lo <= d <= deadline + hi for d in delays if d > deadline)


def test_export_follows_marking_within_the_policy_mostly(baseline: SimOut) -> None:
    params, cal = _calendar("variant1-baseline")
    gaps = [
        cal.working_days_between(cal.day_of_iso(r["marked_on"]), cal.day_of_iso(r["exported_on"]))
        for r in baseline.results()
        if r["marked_on"] and r["exported_on"]
    ]
    within = sum(g <= params["export"]["deadline_working_days"] for g in gaps)
    assert all(g >= 0 for g in gaps)
    assert within / len(gaps) > 0.95  # breaches come from late-delivery faults and outage backlogs only


def test_fault_rates_match_the_scenario(faulty: SimOut) -> None:
    params, _ = _calendar("vendor-faults")
    rates = params["faults"]
    messages = faulty.jsonl("messages.jsonl")
    scored = sum(1 for m in messages if m.get("body", {}).get("result", {}).get("state") == "completed")
    faults = faulty.faults()
    duplicates = sum(f["fault"] == "duplicate" for f in faults)
    distinct = len({m["message_id"] for m in messages})
    # duplicates can hit any delivery: a share of distinct deliveries
    _close(duplicates, distinct, rates["duplicate"])
    rejected = sum(f["expected"].startswith("quarantined") for f in faults)
    assert rejected > 0 and rejected / scored < 2 * sum(
        rates[k]
        for k in (
            "broken_json",
            "schema_violation",
            "unknown_association",
            "wrong_student",
            "wrong_component",
        )
    )


def test_repair_share_leaves_some_results_incomplete(faulty: SimOut) -> None:
    results = faulty.results()
    incomplete = [r for r in results if not r["complete"]]
    assert incomplete and len(incomplete) < 0.1 * len(results)


def test_complaints_follow_failed_results_more_often(baseline: SimOut) -> None:
    params, _ = _calendar("variant1-baseline")
    events = baseline.jsonl("events.jsonl")
    complained = {e["association_id"] for e in events if e["type"] == "complaint_filed"}
    results = [r for r in baseline.results() if r["passed"] is not None]
    failed = [r for r in results if not r["passed"]]
    assert len(failed) > 100
    failed_rate = sum(r["association_id"] in complained for r in failed) / len(failed)
    passed = [r for r in results if r["passed"]]
    passed_rate = sum(r["association_id"] in complained for r in passed) / len(passed)
    assert failed_rate > passed_rate
    decided = {e["case_id"]: e["outcome"] for e in events if e["type"] == "complaint_decided"}
    filed = [e for e in events if e["type"] == "complaint_filed"]
    assert all(e["case_id"] in decided for e in filed if e["at"] < "2027-06-01")
