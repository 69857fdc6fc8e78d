"""The exam board's compliance data: the documented shape, and figures that add up."""

from __future__ import annotations

import json

from oke_core.reports import compliance, compliance_markdown, trace
from oke_core.reports.counts import intake_counts
from oke_core.store import models

TOP = {
    "scenario",
    "seed",
    "policy",
    "as_of",
    "institution",
    "totals",
    "quarantine_reasons",
    "periods",
    "status_over_time",
    "cut_scores",
    "deadlines",
    "cases",
    "deviations",
    "annual_evaluation",
}


def _report(reh):
    return compliance(
        reh.store, reh.policy, reh.until, {"scenario": "tiny", "seed": 7, "institution": {"name": "ROC Test"}}
    )


def test_shape_matches_interfaces(tiny):
    c = _report(tiny)
    assert set(c) == TOP
    assert set(c["totals"]) == {
        "messages",
        "applied",
        "duplicates",
        "quarantined",
        "results",
        "provisional",
        "definitive",
        "withdrawn",
    }
    assert set(c["deadlines"]) == {"marking", "import", "establishment"}
    for d in c["deadlines"].values():
        assert set(d) == {"deadline_working_days", "total", "on_time", "late", "share_on_time"}
        assert d["on_time"] + d["late"] == d["total"]
        assert 0.0 <= d["share_on_time"] <= 1.0 and round(d["share_on_time"], 4) == d["share_on_time"]
    assert set(c["cases"]) == {"inspections", "complaints", "appeals", "corrections"}
    for k in ("inspections", "complaints", "appeals"):
        case = c["cases"][k]
        assert case["decided"] + case["open"] == case["filed"]
        assert case["upheld"] + case["rejected"] + case["inadmissible"] <= case["decided"]
        if k != "inspections":  # complaints and appeals are settled by a decision or not admitted
            assert case["upheld"] + case["rejected"] + case["inadmissible"] == case["decided"]
    assert {d["kind"] for d in c["deviations"]} == {"irregularity", "log_error", "illegal_transition"}
    json.dumps(c, allow_nan=False)  # JSON-ready


def test_counts_add_up(tiny):
    c = _report(tiny)
    t = c["totals"]
    assert t["messages"] == t["applied"] + t["duplicates"] + t["quarantined"]
    assert t["messages"] == intake_counts(tiny.store)["received"] > 0
    assert sum(c["quarantine_reasons"].values()) == t["quarantined"]
    assert t["results"] == t["provisional"] + t["definitive"] + t["withdrawn"]
    by_college = sum(r["results"] for p in c["periods"] for r in p["by_college"])
    by_component = sum(r["results"] for p in c["periods"] for r in p["by_component"])
    assert by_college == by_component == t["results"]
    for p in c["periods"]:  # every result is passed, failed or without an outcome (absent, open, withdrawn)
        for r in [*p["by_college"], *p["by_component"]]:
            assert r["passed"] + r["failed"] + r["no_outcome"] == r["results"], r
    assert sum(r["no_outcome"] for p in c["periods"] for r in p["by_college"]) > 0  # tiny has absentees
    last = c["status_over_time"][-1]
    assert last["date"] == tiny.until.isoformat()
    assert (last["provisional"], last["definitive"]) == (t["provisional"], t["definitive"])
    dates = [s["date"] for s in c["status_over_time"]]
    assert dates == sorted(dates) and len(dates) == len(set(dates))


def test_cut_scores_listed_per_exam_version(tiny):
    c = _report(tiny)
    for cut in c["cut_scores"]:
        if cut["released_on"] is not None:
            assert cut["released_on"] >= cut["first_sitting"]
            assert cut["working_days_after_first_sitting"] >= 0
            assert 0 < cut["cut_score"] <= cut["max_raw_score"]
    assert any(cut["released_on"] for cut in c["cut_scores"])


def test_deterministic_and_markdown_is_dutch(tiny):
    a, b = _report(tiny), _report(tiny)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    md = compliance_markdown(a)
    for heading in (
        "# Rapportage examencommissie",
        "## Totalen",
        "## Termijnen",
        "## Cesuurbesluiten",
        "## Inzage, klachten en beroep",
        "## Jaarevaluatie",
    ):
        assert heading in md
    assert md == compliance_markdown(b)


def test_eduarte_policy_counts_establishment_deadline(tiny_eduarte):
    c = _report(tiny_eduarte)
    est = c["deadlines"]["establishment"]
    assert est["deadline_working_days"] == 30
    # Due = establishment date passed: established ones plus those still provisional past their date (late).
    assert 0 < c["totals"]["definitive"] <= est["total"] <= c["totals"]["results"]
    assert est["on_time"] + est["late"] == est["total"]
    assert c["policy"] == "eduarte"


def test_complaints_not_admitted_are_counted_apart(tiny):
    """tiny runs under beoordelen (no complaint window): some complaints come after the result is
    definitive. They are 'niet-ontvankelijk', not 'ongegrond' decided in 0 days and filed in time."""
    report = _report(tiny)
    c = report["cases"]["complaints"]
    not_admitted = [e for e in tiny.store.log() if e["rule"] == "complaint-after-establishment"]
    assert c["inadmissible"] == len(not_admitted) > 0
    assert c["on_time"] == c["filed"] - c["inadmissible"]  # no window under beoordelen: the rest is in time
    assert c["upheld"] + c["rejected"] > 0
    assert c["median_working_days"] >= 5  # the simulator's exam board takes 5-15 working days
    assert not [e for e in tiny.store.log() if e["rule"] in ("illegal-transition", "case-not-open")]
    md = compliance_markdown(report)
    header = next(line for line in md.splitlines() if line.startswith("| soort | ingediend"))
    row = next(line for line in md.splitlines() if line.startswith("| Klachten"))
    cells = dict(zip(header.strip("|").split("|"), row.strip("|").split("|"), strict=True))
    assert int(cells[" niet-ontvankelijk "]) == c["inadmissible"]


def test_a_complaint_not_admitted_follows_the_establishment_in_the_walkthrough(tiny):
    """The trainer's timeline reads 'definitief vastgesteld', then the complaint that came too late.
    An upheld one is followed by a correction that reopens and re-establishes the result: the
    timeline showed only that last establishment, so the complaint seemed to come before any."""
    cases = [c for c in tiny.store.rows(models.Case, kind="complaint") if c["status"] == "inadmissible"]
    assert cases
    reopened = 0
    for case in cases:
        steps = [s["step"] for s in trace(tiny.store, case["association_id"])["steps"]]
        assert steps.index("definitive") < steps.index("complaint"), (case["association_id"], steps)
        reopened += steps.count("definitive") > 1
    assert reopened > 0
