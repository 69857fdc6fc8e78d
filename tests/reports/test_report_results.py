"""results.csv rows: fixed columns, the four documented statuses, and nothing shown before it happened."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oke_core.reports import RESULT_COLUMNS, results_rows
from oke_core.reports.lookups import CSV_STATUSES
from oke_core.store import models

REQUIRED = [
    "association_id",
    "student_number",
    "component_code",
    "exam_version",
    "attempt",
    "sitting_date",
    "attendance",
    "raw_score",
    "max_raw_score",
    "grade",
    "status",
    "provisional_since",
    "cut_score_known_on",
    "complaint_deadline",
    "definitive_on",
    "appeal_deadline",
    "variant",
]


def test_columns_are_the_documented_ones_in_order(tiny):
    assert list(RESULT_COLUMNS[: len(REQUIRED)]) == REQUIRED
    for row in results_rows(tiny.store, tiny.until):
        assert list(row) == list(RESULT_COLUMNS)


def test_one_row_per_participation_in_stable_order(tiny):
    rows = list(results_rows(tiny.store, tiny.until))
    ids = [r["association_id"] for r in rows]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    registered = {r["association_id"] for r in tiny.store.rows(models.Result)}
    assert registered <= set(ids)
    assert rows == list(results_rows(tiny.store, tiny.until))


def test_statuses_are_documented_and_consistent(tiny):
    rows = list(results_rows(tiny.store, tiny.until))
    assert {r["status"] for r in rows} <= set(CSV_STATUSES)
    for r in rows:
        if r["status"] == "definitive":
            assert r["definitive_on"] is not None
        else:
            assert r["definitive_on"] is None
            assert r["appeal_deadline"] is None
        if r["status"] == "quarantined":
            assert r["grade"] is None
            assert r["association_id"] not in {x["association_id"] for x in tiny.store.rows(models.Result)}


def test_variant1_definitive_only_after_cut_score(tiny):
    needs_cut = {c["code"] for c in tiny.store.rows(models.ExamComponent) if c["cut_score_required"]}
    for r in results_rows(tiny.store, tiny.until):
        if r["variant"] == 1 and r["component_code"] in needs_cut and r["status"] == "definitive":
            assert r["cut_score_known_on"] is not None
            assert r["cut_score_known_on"] <= r["definitive_on"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.integers(min_value=0, max_value=60))
def test_as_of_shows_nothing_from_the_future(tiny, offset):
    day = tiny.start + timedelta(days=offset)
    needs_cut = {c["code"] for c in tiny.store.rows(models.ExamComponent) if c["cut_score_required"]}
    for r in results_rows(tiny.store, day):
        for field in ("provisional_since", "cut_score_known_on", "definitive_on"):
            if r[field] is not None:
                assert date.fromisoformat(r[field]) <= day, (field, r)
        waiting = r["variant"] == 1 and r["component_code"] in needs_cut and r["cut_score_known_on"] is None
        if r["status"] != "quarantined" and waiting:
            assert r["grade"] is None


def test_definitive_count_never_decreases_over_time(tiny):
    counts = []
    day = tiny.start
    while day <= tiny.until:
        counts.append(sum(1 for r in results_rows(tiny.store, day) if r["status"] == "definitive"))
        day += timedelta(days=3)
    assert counts == sorted(counts)
    assert counts[-1] > 0
