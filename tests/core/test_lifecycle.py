"""Lifecycle under both policy presets: windows, cut score, complaints, appeals, establishment rules."""

from __future__ import annotations

from datetime import date

import orjson
import pytest
from core_builders import EV_V1, O_PF, O_V1, O_V2, assoc_id, env, scored_body
from hypothesis import given, settings
from hypothesis import strategies as st

from oke_core.lifecycle import ALLOWED, ESTABLISHED, IllegalTransition, Status, check_transition
from oke_core.okelog import replay_log
from oke_core.policy import load_policy
from oke_core.reports import trace
from oke_core.store import Store, models

A = assoc_id(0, O_V1)
V2 = assoc_id(0, O_V2)
PF = assoc_id(0, O_PF)


def cut(ing, at: str, value: int = 30, eid: str = "c1") -> None:
    ing.apply_event(
        {
            "event_id": eid,
            "at": at,
            "type": "cut_score_released",
            "exam_version_id": EV_V1,
            "cut_score": value,
            "released_by": "examencommissie",
        }
    )


def transitions(store: Store, aid: str) -> list[tuple[str | None, str | None, str | None, str]]:
    return [
        (e["before"], e["after"], e["rule"], e["at"][:10])
        for e in store.log(aid)
        if e["kind"] == "transition"
    ]


def test_eduarte_timeline_window_establishment_appeal_closed(make_ingestor, store) -> None:
    ing = make_ingestor("eduarte")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=40)))
    cut(ing, "2026-09-18T09:00:00Z")
    ing.advance_to(date(2026, 12, 31))
    ing.flush()
    r = store.result(A)
    # sitting Mon 14 Sep 2026; closure day 19 Oct 2026 counts as a non-working day
    assert r["complaint_deadline"] == date(2026, 9, 30)  # 10 working days after 16 Sep
    assert r["establishment_due"] == date(2026, 10, 27)  # 30 working days after 14 Sep, skipping 19 Oct
    assert (r["definitive_on"], r["definitive_rule"], r["definitive_by"]) == (
        date(2026, 10, 27),
        "fixed_working_days_after_sitting",
        "examenadministratie",
    )
    assert r["appeal_deadline"] == date(2026, 11, 10) and r["closed_on"] == date(2026, 11, 11)
    assert r["grade"] == "7.0" and r["passed"] is True and r["status"] == "closed"
    steps = [(b, a) for b, a, _rule, _at in transitions(store, A)]
    assert steps == [
        (None, "complaint_window"),  # registered as voorlopig, straight into the complaint window
        ("complaint_window", "provisional"),
        ("provisional", "definitive"),
        ("definitive", "appeal_window"),
        ("appeal_window", "closed"),
    ]
    establish = next(e for e in store.log(A) if e["after"] == "definitive")
    checks = orjson.loads(establish["detail"])["checks"]
    assert all(c["ok"] for c in checks) and {c["rule"] for c in checks} >= {
        "right-student",
        "complaint-window-closed",
        "cut-score-known",
        "no-open-complaint",
        "establishment-date",
    }


def test_beoordelen_stays_provisional_until_cut_score(make_ingestor, store) -> None:
    ing = make_ingestor("beoordelen")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=20)))
    ing.advance_to(date(2026, 11, 1))
    ing.flush()
    assert store.result(A)["status"] == "awaiting_cut_score" and store.result(A)["grade"] is None
    cut(ing, "2026-11-02T09:00:00Z", 30)
    ing.flush()
    r = store.result(A)
    assert (r["status"], r["grade"], r["passed"], r["definitive_rule"]) == (
        "definitive",
        "4.0",
        False,
        "after_cut_score",
    )
    assert r["cut_score_known_on"] == date(2026, 11, 2)


def test_invalid_cut_score_is_logged_and_result_stays_provisional(make_ingestor, store) -> None:
    ing = make_ingestor("beoordelen")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A)))
    cut(ing, "2026-09-20T09:00:00Z", 99)
    ing.flush()
    assert store.result(A)["status"] == "awaiting_cut_score"
    errors = [e for e in store.log() if e["kind"] == "error"]
    assert errors and errors[0]["rule"] == "cut-score-valid" and "outside 0..60" in errors[0]["reason"]
    assert ing.counts.event_errors == 1


def test_variant2_final_result_is_the_suppliers_establishment(make_ingestor, store) -> None:
    ing = make_ingestor("beoordelen")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", V2, scored_body(V2, score="6.2", final=False)))
    ing.flush()
    assert store.result(V2)["status"] == "provisional"
    ing.receive(env("m2", "2026-09-25T11:00:00Z", V2, scored_body(V2, score="6.4", final=True)))
    ing.flush()
    r = store.result(V2)
    assert (r["status"], r["grade"], r["definitive_rule"], r["definitive_by"]) == (
        "definitive",
        "6.4",
        "supplier_final",
        "examenleverancier",
    )


@pytest.mark.parametrize("absence_first", [True, False], ids=["absence-first", "final-first"])
def test_variant2_absence_is_settled_by_the_versions_first_final_result(
    make_ingestor, store, store_factory, planning, contract, absence_first
) -> None:
    """The supplier sends no final result for an absence: it used to stay provisional for ever (83
    results of the variant2-supplier rehearsal). Its exam version's first final result settles it."""
    absent, other = V2, assoc_id(1, O_V2)
    ing = make_ingestor("beoordelen")
    absence = env("m1", "2026-09-16T11:00:00Z", absent, _absent_body(absent))
    if absence_first:
        ing.receive(absence)
        ing.receive(env("m2", "2026-09-17T11:00:00Z", other, scored_body(other, score="6.2")))
        ing.flush()
        assert store.result(absent)["status"] == "provisional"  # no final result of its version yet
    ing.receive(env("m3", "2026-09-25T11:00:00Z", other, scored_body(other, score="6.4", final=True)))
    if not absence_first:
        ing.receive(env("m1", "2026-09-28T11:00:00Z", absent, _absent_body(absent)))
    ing.flush()
    r = store.result(absent)
    settled_on = date(2026, 9, 25) if absence_first else date(2026, 9, 28)
    assert (r["status"], r["grade"], r["final"], r["attendance"]) == ("definitive", None, False, "notPresent")
    assert (r["cut_score_known_on"], r["definitive_on"], r["definitive_rule"]) == (
        settled_on,
        settled_on,
        "supplier_final",
    )
    rebuilt = store_factory("rebuilt")
    replay_log(iter(list(store.log(bodies=True))), rebuilt, planning, load_policy("beoordelen"), contract)
    assert rebuilt.dump()["result"] == store.dump()["result"]


def test_variant2_scored_result_still_needs_its_own_final_flag(make_ingestor, store) -> None:
    other = assoc_id(1, O_V2)
    ing = make_ingestor("beoordelen")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", other, scored_body(other, score="6.4", final=True)))
    ing.receive(env("m2", "2026-09-17T11:00:00Z", V2, scored_body(V2, score="6.2", final=False)))
    ing.flush()
    assert store.result(V2)["status"] == "provisional"


def test_open_complaint_blocks_and_upheld_complaint_restarts_window(make_ingestor, store) -> None:
    ing = make_ingestor("eduarte")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=25)))
    cut(ing, "2026-09-17T09:00:00Z")
    ing.apply_event(
        {
            "event_id": "k1",
            "at": "2026-09-21T10:00:00Z",
            "type": "complaint_filed",
            "case_id": "K1",
            "association_id": A,
            "reason": "vraag 7 onterecht fout",
        }
    )
    ing.advance_to(date(2026, 11, 2))  # past the establishment date: still blocked
    ing.flush()
    assert store.result(A)["status"] == "complaint_open"
    ing.apply_event(
        {
            "event_id": "k2",
            "at": "2026-11-03T10:00:00Z",
            "type": "complaint_decided",
            "case_id": "K1",
            "outcome": "upheld",
            "decided_by": "examencommissie",
        }
    )
    ing.advance_to(date(2026, 11, 5))
    ing.flush()
    assert store.result(A)["status"] == "provisional"  # waits for the corrected result
    ing.receive(env("m2", "2026-11-06T11:00:00Z", A, scored_body(A, raw=31)))
    ing.flush()
    r = store.result(A)
    assert r["status"] == "complaint_window" and r["corrections"] == 1 and r["grade"] == "5.7"
    assert r["complaint_deadline"] == date(2026, 11, 20)
    ing.advance_to(date(2026, 11, 23))
    ing.flush()
    assert store.result(A)["definitive_on"] == date(2026, 11, 23)  # first working day after the window


def test_appeal_upheld_reopens_and_correction_is_reestablished(make_ingestor, store) -> None:
    ing = make_ingestor("eduarte")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=25)))
    cut(ing, "2026-09-17T09:00:00Z")
    ing.advance_to(date(2026, 10, 28))
    ing.apply_event(
        {
            "event_id": "a1",
            "at": "2026-10-29T10:00:00Z",
            "type": "appeal_filed",
            "case_id": "B1",
            "association_id": A,
        }
    )
    ing.flush()
    assert store.result(A)["status"] == "appeal_open"
    ing.apply_event(
        {
            "event_id": "a2",
            "at": "2026-12-01T10:00:00Z",
            "type": "appeal_decided",
            "case_id": "B1",
            "outcome": "upheld",
            "decided_by": "CBE",
        }
    )
    ing.receive(env("m2", "2026-12-02T11:00:00Z", A, scored_body(A, raw=35)))
    ing.flush()
    r = store.result(A)
    assert r["status"] == "complaint_window" and r["current_version"] == 2
    kinds = [a for _b, a, _r, _at in transitions(store, A)]
    assert "corrected" in kinds


def test_a_rejected_appeal_without_an_appeal_window_closes_the_result(make_ingestor, store) -> None:
    """beoordelen sets no appeal window: after the CBE rejects an appeal the result is closed.
    It used to try appeal_open -> definitive, an illegal step, and stayed 'appeal_open' for good."""
    ing = make_ingestor("beoordelen")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=25)))
    cut(ing, "2026-09-18T09:00:00Z")
    ing.flush()
    assert store.result(A)["status"] == "definitive" and store.result(A)["appeal_deadline"] is None
    for event in (
        {"event_id": "a1", "at": "2026-09-25T10:00:00Z", "type": "appeal_filed", "case_id": "B1"},
        {"event_id": "a2", "at": "2026-10-20T10:00:00Z", "type": "appeal_decided", "case_id": "B1"},
    ):
        extra = {"association_id": A} if event["type"] == "appeal_filed" else {"outcome": "rejected"}
        ing.apply_event(event | extra | {"decided_by": "CBE"})
    ing.advance_to(date(2026, 11, 30))
    ing.flush()
    r = store.result(A)
    assert (r["status"], r["open_appeals"]) == ("closed", 0)
    assert [(b, a) for b, a, _r, _at in transitions(store, A)][-2:] == [
        ("definitive", "appeal_open"),
        ("appeal_open", "closed"),
    ]
    assert [e for e in store.log(A) if e["kind"] == "error"] == []


def test_correction_after_definitive_held_under_eduarte_reopened_under_beoordelen(
    make_ingestor, store
) -> None:
    ing = make_ingestor("eduarte")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=40)))
    cut(ing, "2026-09-17T09:00:00Z")
    ing.advance_to(date(2026, 10, 28))
    out = ing.receive(env("m2", "2026-10-29T11:00:00Z", A, scored_body(A, raw=10)))
    ing.flush()
    r = store.result(A)
    assert out.reason == "correction-held" and r["current_version"] == 1 and r["held_version"] == 2
    assert r["status"] == "appeal_window"


def test_correction_after_definitive_reopens_under_beoordelen(make_ingestor, store) -> None:
    ing = make_ingestor("beoordelen")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=40)))
    cut(ing, "2026-09-17T09:00:00Z")
    ing.receive(env("m2", "2026-09-29T11:00:00Z", A, scored_body(A, raw=10)))
    ing.flush()
    r = store.result(A)
    assert (r["status"], r["current_version"], r["grade"]) == ("definitive", 2, "2.5")
    assert [a for _b, a, _r, _at in transitions(store, A)][-2:] == ["corrected", "definitive"]


def test_early_establishment_skips_the_waiting_but_not_the_cut_score(make_ingestor, store) -> None:
    ing = make_ingestor("eduarte")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A)))
    ing.apply_event(
        {
            "event_id": "x",
            "at": "2026-09-17T09:00:00Z",
            "type": "early_establishment",
            "association_id": A,
            "decided_by": "examencommissie",
        }
    )
    ing.flush()
    assert store.result(A)["status"] == "awaiting_cut_score"
    cut(ing, "2026-09-18T09:00:00Z")
    ing.flush()
    r = store.result(A)
    assert (r["status"], r["definitive_on"], r["definitive_rule"]) == (
        "appeal_window",
        date(2026, 9, 18),
        "early_establishment",
    )


EARLY_COMPLAINT = {
    "event_id": "k1",
    "at": "2026-09-15T10:00:00Z",  # the day after the sitting, before the marking is in
    "type": "complaint_filed",
    "case_id": "K1",
    "association_id": A,
    "reason": "afname verstoord door brandalarm",
}


@pytest.mark.parametrize("same_run", [True, False], ids=["same-run", "result-in-a-later-run"])
def test_a_complaint_filed_before_the_result_blocks_its_establishment(
    make_ingestor, store, store_factory, planning, contract, same_run: bool
) -> None:
    """Before, such a complaint was 'recorded without effect': the result arrived and became
    definitive while the case stayed open."""
    ing = make_ingestor("eduarte")
    ing.apply_event(EARLY_COMPLAINT)
    ing.flush()
    [err] = [e for e in store.log(A) if e["kind"] == "error"]
    assert err["rule"] == "no-result" and "blocks establishment once the result arrives" in err["reason"]
    if not same_run:  # the store is closed and opened again before the result comes
        ing = make_ingestor("eduarte")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=25)))
    cut(ing, "2026-09-17T09:00:00Z")
    ing.advance_to(date(2026, 11, 2))  # past the establishment date: still blocked
    ing.flush()
    assert (store.result(A)["status"], store.result(A)["open_complaints"]) == ("complaint_open", 1)
    decided = {"event_id": "k2", "at": "2026-11-03T10:00:00Z", "type": "complaint_decided", "case_id": "K1"}
    ing.apply_event(decided | {"outcome": "rejected", "decided_by": "examencommissie"})
    ing.advance_to(date(2026, 11, 4))
    ing.flush()
    assert (store.result(A)["status"], store.result(A)["open_complaints"]) == ("appeal_window", 0)
    rebuilt = store_factory("rebuilt")
    replay_log(iter(list(store.log(bodies=True))), rebuilt, planning, load_policy("eduarte"), contract)
    assert rebuilt.dump()["result"] == store.dump()["result"]


def test_an_appeal_filed_before_there_is_a_result_is_not_admitted(make_ingestor, store) -> None:
    ing = make_ingestor("eduarte")
    ing.apply_event(EARLY_COMPLAINT | {"type": "appeal_filed", "case_id": "B1", "event_id": "b1"})
    ing.flush()
    [case] = store.rows(models.Case, case_id="B1")
    assert case["status"] == "inadmissible"
    [err] = [e for e in store.log(A) if e["kind"] == "error"]
    assert err["rule"] == "appeal-not-admissible" and "no result is registered" in err["reason"]


def test_complaint_after_establishment_is_not_admitted_and_its_decision_is_no_second_error(
    make_ingestor, store
) -> None:
    """beoordelen has no complaint window: a complaint about a definitive result is one error with
    its own rule (not a refused 'definitive -> complaint_open'), the case is kept as not admitted,
    and the exam board's later answer is recorded on it without a second error."""
    ing = make_ingestor("beoordelen")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", PF, scored_body(PF, raw=8, max_raw=10, score="passed")))
    filed = {"event_id": "k", "at": "2026-09-20T10:00:00Z", "type": "complaint_filed", "case_id": "K9"}
    ing.apply_event(filed | {"association_id": PF})
    assert ing.counts.event_errors == 1
    decided = {"event_id": "k2", "at": "2026-10-02T10:00:00Z", "type": "complaint_decided", "case_id": "K9"}
    ing.apply_event(decided | {"outcome": "upheld", "decided_by": "examencommissie"})
    assert ing.counts.event_errors == 1
    ing.flush()
    r = store.result(PF)
    assert (r["status"], r["open_complaints"]) == ("definitive", 0)
    [err] = [e for e in store.log(PF) if e["kind"] == "error"]
    assert err["rule"] == "complaint-after-establishment" and "not admissible" in err["reason"]
    assert not [e for e in store.log() if e["rule"] in ("illegal-transition", "case-not-open")]
    [case] = store.rows(models.Case, case_id="K9")
    assert (case["status"], case["outcome"], case["decided_by"]) == (
        "inadmissible",
        "upheld",
        "examencommissie",
    )
    ing.apply_event({**decided, "event_id": "k4", "case_id": "nope", "outcome": "upheld"})
    assert ing.counts.event_errors == 2  # an answer to an unknown case still is one


@pytest.mark.parametrize(
    ("before_cut", "why"),
    [(True, "possible only after establishment"), (False, "appeal window is over")],
)
def test_an_appeal_the_state_does_not_admit_is_named_as_such(make_ingestor, store, before_cut, why) -> None:
    ing = make_ingestor("eduarte")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=40)))
    at = "2026-09-17T10:00:00Z"
    if not before_cut:
        cut(ing, "2026-09-17T09:00:00Z")
        ing.advance_to(date(2026, 12, 31))
        at = "2026-12-31T10:00:00Z"
    before = ing.results[A].status
    assert before == ("complaint_window" if before_cut else "closed")
    ing.apply_event({"event_id": "b", "at": at, "type": "appeal_filed", "case_id": "B1", "association_id": A})
    ing.flush()
    assert ing.counts.event_errors == 1
    [err] = [e for e in store.log(A) if e["kind"] == "error"]
    assert err["rule"] == "appeal-not-admissible" and why in err["reason"]
    [case] = store.rows(models.Case, case_id="B1")
    assert case["status"] == "inadmissible" and store.result(A)["status"] == before


def test_marking_and_import_deadlines(make_ingestor, store) -> None:
    ing = make_ingestor("beoordelen")
    # marked Mon 28 Sep (10 working days after the sitting: late), received Thu 1 Oct (3 working days: late)
    ing.receive(env("m1", "2026-10-01T11:00:00Z", A, scored_body(A, result_date="2026-09-28")))
    ing.flush()
    r = store.result(A)
    assert r["marking_deadline"] == date(2026, 9, 21) and r["marking_late"] is True
    assert r["import_deadline"] == date(2026, 9, 30) and r["import_late"] is True


@pytest.mark.parametrize("before", sorted(ALLOWED))
def test_transition_table_is_closed(before: str) -> None:
    for after in Status:
        if after in ALLOWED[before]:
            check_transition(before, after)
        else:
            with pytest.raises(IllegalTransition):
                check_transition(before, after)


def _absent_body(aid: str = A) -> dict:
    body = scored_body(aid)
    consumer = body["result"]["consumers"][0]
    for key in ("rawScore", "maxRawScore", "assessorId", "assessorCode"):
        del consumer[key]
    del body["result"]["score"], body["result"]["pass"]
    consumer["attendance"] = "notPresent"
    return body


def test_absent_candidate_waits_for_the_cut_score_then_is_established(make_ingestor, store) -> None:
    ing = make_ingestor("beoordelen")
    out = ing.receive(env("m1", "2026-09-16T11:00:00Z", A, _absent_body()))
    ing.flush()
    assert out.status == "applied", out
    r = store.result(A)
    assert (r["status"], r["grade"], r["attendance"]) == ("awaiting_cut_score", None, "notPresent")
    cut(ing, "2026-09-20T08:00:00Z", 30)
    ing.flush()
    r = store.result(A)
    assert (r["status"], r["grade"], r["attendance"]) == ("definitive", None, "notPresent")


def test_absence_delivered_after_the_cut_score_is_not_left_waiting_for_it(make_ingestor, store) -> None:
    """A resit absence reported after its version's cut score was released: the cut score is known
    (it stayed "awaiting_cut_score" for ever, 11 of the default rehearsal's 13 open results)."""
    ing = make_ingestor("beoordelen")
    cut(ing, "2026-09-14T08:00:00Z", 30)
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, _absent_body()))
    ing.flush()
    r = store.result(A)
    assert (r["status"], r["grade"], r["attendance"]) == ("definitive", None, "notPresent")
    assert (r["cut_score"], r["cut_score_known_on"]) == (30, date(2026, 9, 16))
    assert (r["definitive_on"], r["definitive_rule"]) == (date(2026, 9, 16), "after_cut_score")


def test_absence_after_an_invalid_cut_score_still_waits_for_a_valid_one(make_ingestor, store) -> None:
    ing = make_ingestor("beoordelen")
    cut(ing, "2026-09-14T08:00:00Z", 99)  # above the version's maximum: not a cut score
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, _absent_body()))
    ing.advance_to(date(2026, 11, 2))
    ing.flush()
    r = store.result(A)
    assert (r["status"], r["cut_score_known_on"]) == ("awaiting_cut_score", None)


def test_no_irregularities_text_in_a_session_report_is_not_an_exception(make_ingestor, store) -> None:
    from core_builders import session_report_env

    ing = make_ingestor("eduarte")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A)))
    ing.receive(session_report_env("sr1", "2026-09-16T12:00:00Z", O_V1, "Geen bijzonderheden."))
    ing.flush()
    assert store.result(A)["exception"] is None


def _ranked(rec, policy, today):  # the ranking decide() promises, spelled out over failing_checks
    from oke_core.lifecycle import ESTABLISHED, failing_checks

    status = rec.status
    if status == Status.WITHDRAWN:
        return status
    if rec.result_state != "completed" and status in ("", Status.RECEIVED):
        return Status.RECEIVED
    if status in ESTABLISHED:
        if status == Status.CLOSED:
            return status
        if rec.open_appeals:
            return Status.APPEAL_OPEN
        if rec.appeal_deadline is None:  # no appeal window: a decided appeal closes the result
            return Status.DEFINITIVE if status == Status.DEFINITIVE else Status.CLOSED
        return Status.APPEAL_WINDOW if today <= rec.appeal_deadline else Status.CLOSED
    failing = failing_checks(rec, policy, today)
    if not failing:
        return Status.PROVISIONAL if status in ("", Status.RECEIVED) else Status.DEFINITIVE
    for check, state in (
        ("no-open-complaint", Status.COMPLAINT_OPEN),
        ("complaint-window-closed", Status.COMPLAINT_WINDOW),
        ("exceptions-resolved", Status.EXCEPTION_OPEN),
        ("cut-score-known", Status.AWAITING_CUT_SCORE),
    ):
        if check in failing:
            return state
    return Status.CORRECTED if status == Status.CORRECTED else Status.PROVISIONAL


_DAYS = st.one_of(st.none(), st.dates(date(2026, 9, 1), date(2026, 12, 31)))


@settings(max_examples=400, deadline=None)
@given(
    status=st.sampled_from(["", *[s.value for s in Status]]),
    result_state=st.sampled_from(["completed", "in progress"]),
    variant=st.sampled_from([1, 2]),
    final=st.booleans(),
    open_complaints=st.integers(0, 2),
    open_appeals=st.integers(0, 1),
    correction_expected=st.booleans(),
    early_by=st.sampled_from([None, "examencommissie"]),
    exception=st.sampled_from([None, "irregularities", "date-mismatch", "assessor-missing,date-mismatch"]),
    approved=st.sampled_from([None, "examencommissie"]),
    needs_cut_score=st.booleans(),
    cut_known=_DAYS,
    raw=st.sampled_from([None, 12]),
    grade=st.sampled_from([None, "6.5"]),
    complaint_deadline=_DAYS,
    establishment_due=_DAYS,
    appeal_deadline=_DAYS,
    today=st.dates(date(2026, 9, 1), date(2026, 12, 31)),
    policy_name=st.sampled_from(["eduarte", "beoordelen"]),
)
def test_decide_names_the_first_reason_a_result_waits(**facts) -> None:
    """The one-pass decide() equals ranking the named establishment checks, for any facts."""
    from oke_core.lifecycle import ResultRecord, decide
    from oke_core.policy import load_policy

    policy = load_policy(facts.pop("policy_name"))
    today = facts.pop("today")
    rec = ResultRecord(
        association_id="a",
        student_id="s",
        component_id="c",
        exam_version_id="v",
        offering_id="o",
        attempt=1,
        variant=facts["variant"],
        status=facts["status"],
        current_version=1,
        versions=1,
        result_state=facts["result_state"],
        sitting_date=date(2026, 9, 14),
        received_on=date(2026, 9, 16),
        marking_deadline=date(2026, 9, 28),
        final=facts["final"],
        open_complaints=facts["open_complaints"],
        open_appeals=facts["open_appeals"],
        correction_expected=facts["correction_expected"],
        early_by=facts["early_by"],
        exception=facts["exception"],
        exception_approved_by=facts["approved"],
        needs_cut_score=facts["needs_cut_score"],
        cut_score_known_on=facts["cut_known"],
        raw_score=facts["raw"],
        grade=facts["grade"],
        complaint_deadline=facts["complaint_deadline"],
        establishment_due=facts["establishment_due"],
        appeal_deadline=facts["appeal_deadline"],
    )
    target, checks = decide(rec, policy, today)
    assert target == _ranked(rec, policy, today)
    if target != rec.status:  # decide() only proposes steps the state machine allows
        assert target in ALLOWED[rec.status], (rec.status, target)
    assert (checks is not None) == (target == Status.DEFINITIVE and rec.status not in ESTABLISHED)
    if checks is not None:
        assert all(c.ok for c in checks)


def test_the_walkthrough_puts_a_same_day_late_complaint_after_the_establishment(make_ingestor, store) -> None:
    """Cut score in the morning (definitive at once under beoordelen), complaint that afternoon:
    the trainer's timeline listed the complaint first, as if it had come in time."""
    ing = make_ingestor("beoordelen")
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=25)))
    cut(ing, "2026-09-18T09:00:00Z")
    complaint = {"event_id": "k", "at": "2026-09-18T15:00:00Z", "type": "complaint_filed", "case_id": "K1"}
    ing.apply_event(complaint | {"association_id": A, "reason": "Telfout"})
    ing.flush()
    steps = [(s["date"], s["step"]) for s in trace(store, A)["steps"]]
    assert steps[-2:] == [("2026-09-18", "definitive"), ("2026-09-18", "complaint")]
