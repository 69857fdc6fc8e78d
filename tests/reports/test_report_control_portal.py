"""Daily log control, the student portal and notifications on real rehearsal data."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oke_core.reports import daily_control, notifications, portal_view, trace
from oke_core.reports.lookups import day_of, inspection_closes
from oke_core.store import models


def _first_sitting(reh) -> date:
    return min(s["sitting_date"] for s in reh.store.rows(models.ExamSession))


def test_daily_control_shape_and_missing_results(tiny):
    day = _first_sitting(tiny) + timedelta(days=21)
    c = daily_control(tiny.store, tiny.policy, day)
    assert set(c) == {"day", "errors", "missing_results", "breaches", "actions", "trend"}
    assert c["day"] == day.isoformat()
    scored = {r["association_id"]: r for r in tiny.store.rows(models.Result)}
    for m in c["missing_results"]:
        assert m["expected_by"] < c["day"]
        assert m["working_days_overdue"] >= 1
        r = scored.get(m["association_id"])
        assert r is None or r["scored_on"] is None or r["scored_on"] > day
    suppliers = {m["supplier"] for m in c["missing_results"]}
    texts = " ".join(a["text"] for a in c["actions"])
    for s in suppliers:
        assert s in texts
    assert len(c["trend"]) == 20 and c["trend"][-1]["date"] == c["day"]
    for e in c["errors"]:
        assert e["level"] == "error" and e["at"].startswith(day.isoformat()[:7])


def test_daily_control_missing_drop_when_results_arrive(tiny):
    """Before the sittings nothing is missing; long after, only results that never arrived remain."""
    early = daily_control(tiny.store, tiny.policy, tiny.start)
    assert early["missing_results"] == []
    late = daily_control(tiny.store, tiny.policy, tiny.until)
    never = {
        r["association_id"]
        for r in tiny.store.rows(models.Result)
        if r["scored_on"] is None and r["attendance"] in (None, "present", "notFinished")
    }
    planned = {p["association_id"] for p in tiny.store.rows(models.Participation)}
    unknown = planned - {r["association_id"] for r in tiny.store.rows(models.Result)}
    assert {m["association_id"] for m in late["missing_results"]} <= never | unknown


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.integers(min_value=0, max_value=60))
def test_portal_never_shows_what_was_not_yet_known(tiny, offset):
    day = tiny.start + timedelta(days=offset)
    view = portal_view(tiny.store, tiny.policy, day)
    assert view["day"] == day.isoformat()
    numbers = [s["student_number"] for s in view["students"]]
    assert numbers == sorted(numbers)
    for s in view["students"]:
        for r in s["results"]:
            assert r["status"] in ("voorlopig", "definitief")
            assert r["sitting_date"] <= view["day"]
            if r["status"] == "definitief":
                assert r["definitive_on"] is not None and r["definitive_on"] <= view["day"]
            else:
                assert r["definitive_on"] is None and r["appeal_until"] is None


def test_portal_hides_variant1_grade_until_cut_score(tiny):
    comps = {c["component_id"]: c for c in tiny.store.rows(models.ExamComponent)}
    waiting = [
        r
        for r in tiny.store.rows(models.Result)
        if r["variant"] == 1
        and comps[r["component_id"]]["cut_score_required"]
        and r["cut_score_known_on"]
        and r["provisional_since"]
        and r["provisional_since"] < r["cut_score_known_on"]
    ]
    assert waiting, "the tiny scenario has variant-1 results that wait for a cut score"
    r = waiting[0]
    before = r["cut_score_known_on"] - timedelta(days=1)
    student = next(s for s in portal_view(tiny.store, tiny.policy, before, r["student_id"])["students"])
    shown = [
        x
        for x in student["results"]
        if x["sitting_date"] == r["sitting_date"].isoformat()
        and x["attempt"] == r["attempt"]
        and x["component_code"] == comps[r["component_id"]]["code"]
    ]
    assert shown and shown[0]["grade"] is None and shown[0]["status"] == "voorlopig"


def test_notifications_follow_the_policy(tiny, tiny_eduarte):
    assert notifications(tiny.store, tiny.policy, tiny.until) == []  # "beoordelen": students look themselves
    notes = notifications(tiny_eduarte.store, tiny_eduarte.policy, tiny_eduarte.until)
    assert notes, "eduarte mails every new provisional result"
    assert all(n["body"].startswith("Beste student") and n["to"] for n in notes)
    assert [n["date"] for n in notes] == sorted(n["date"] for n in notes)


def test_trace_steps_in_time_order(tiny):
    r = next(r for r in tiny.store.rows(models.Result) if r["definitive_on"] is not None)
    t = trace(tiny.store, r["association_id"])
    dates = [s["date"] for s in t["steps"]]
    assert dates == sorted(dates)
    kinds = [s["step"] for s in t["steps"]]
    assert kinds[0] == "sitting" and "flow3" in kinds and "definitive" in kinds
    assert all(e["association_id"] == r["association_id"] for e in t["log"])
    names = [d["name"] for d in t["deadlines"]]
    assert "marking" in names
    assert all(d["working_days"] >= 0 for d in t["deadlines"])


def _shown_cases(view: dict, reh, association_id: str) -> list[dict]:
    r = next(x for x in reh.store.rows(models.Result) if x["association_id"] == association_id)
    code = next(
        c["code"] for c in reh.store.rows(models.ExamComponent) if c["component_id"] == r["component_id"]
    )
    student = next(s for s in view["students"])
    shown = [
        x
        for x in student["results"]
        if x["component_code"] == code
        and x["attempt"] == r["attempt"]
        and x["sitting_date"] == r["sitting_date"].isoformat()
    ]
    assert len(shown) == 1
    return shown[0]["cases"]


def test_portal_shows_the_students_own_complaints_as_they_stood_that_day(tiny):
    """A student who filed a complaint sees it on the result: in behandeling until the exam board
    decides, then its outcome; one KRS could not admit says niet-ontvankelijk from the start."""
    results = {r["association_id"]: r for r in tiny.store.rows(models.Result)}
    cases = [c for c in tiny.store.rows(models.Case) if c["association_id"] in results]
    decided = [
        c for c in cases if c["status"] == "decided" and day_of(c["decided_at"]) > day_of(c["filed_at"])
    ]
    refused = [c for c in cases if c["status"] == "inadmissible"]
    assert decided and refused, "the tiny scenario has decided and inadmissible complaints"
    for case, expect_then, expect_after in (
        (decided[0], "in behandeling", {"upheld": "gegrond", "rejected": "ongegrond"}[decided[0]["outcome"]]),
        (refused[0], "niet-ontvankelijk", "niet-ontvankelijk"),
    ):
        sid = results[case["association_id"]]["student_id"]
        filed = day_of(case["filed_at"])
        before = portal_view(tiny.store, tiny.policy, filed - timedelta(days=1), sid)
        for student in before["students"]:  # not shown before it was filed
            assert all(c["filed_on"] < filed.isoformat() for r in student["results"] for c in r["cases"])
        on_filing = _shown_cases(
            portal_view(tiny.store, tiny.policy, filed, sid), tiny, case["association_id"]
        )
        assert {"kind": "Klacht", "filed_on": filed.isoformat(), "state": expect_then} in on_filing
        later = _shown_cases(
            portal_view(tiny.store, tiny.policy, tiny.until, sid), tiny, case["association_id"]
        )
        assert {"kind": "Klacht", "filed_on": filed.isoformat(), "state": expect_after} in later


def test_portal_says_an_inspection_is_over_once_its_result_has_moved_on(tiny):
    """Over with the complaint window or, without one (the tiny policy), the provisional phase."""
    results = {r["association_id"]: r for r in tiny.store.rows(models.Result)}
    inspections = [
        c
        for c in tiny.store.rows(models.Case)
        if c["kind"] == "inspection" and c["association_id"] in results
    ]
    ended = [
        c
        for c in inspections
        if (closes := inspection_closes(results[c["association_id"]]))
        and day_of(c["filed_at"]) <= closes < tiny.until
    ]
    assert ended, "the tiny scenario has inspections that ended"
    case = ended[0]
    r = results[case["association_id"]]
    filed = day_of(case["filed_at"])
    for day, state in (
        (filed, "aangevraagd"),
        (inspection_closes(r), "aangevraagd"),
        (tiny.until, "afgerond"),
    ):
        shown = _shown_cases(
            portal_view(tiny.store, tiny.policy, day, r["student_id"]), tiny, r["association_id"]
        )
        assert {"kind": "Inzage", "filed_on": filed.isoformat(), "state": state} in shown, (day, shown)
