"""Working days: weekends, Dutch public holidays (holidays.NL) and closure days are skipped."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from oke_sim.grading import convert, grade_10
from oke_sim.workdays import SimCalendar, expand_closure_days

ORIGIN = dt.date(2026, 8, 31)
CAL = SimCalendar(
    ORIGIN, 500, expand_closure_days([{"from": "2026-10-19", "to": "2026-10-23"}, "2027-03-01"])
)


def test_public_holidays_weekends_and_closure_days_are_not_working_days() -> None:
    for date in [
        "2026-12-25",
        "2026-12-26",
        "2027-04-27",
        "2027-05-06",
        "2026-10-21",
        "2027-03-01",
        "2026-09-05",
    ]:
        assert not CAL.is_working[CAL.day_of_iso(date)], date
    assert CAL.is_working[CAL.day_of_iso("2026-09-01")]


def test_five_working_days_over_kings_day_and_a_weekend() -> None:
    # Friday 2027-04-23 + 5 working days: Mon 26, (Tue 27 King's Day), Wed 28, Thu 29, Fri 30, Mon 3 May
    assert CAL.date_of(CAL.add_working_days(CAL.day_of_iso("2027-04-23"), 5)) == dt.date(2027, 5, 3)


@given(start=st.integers(0, 300), n=st.integers(0, 60))
def test_adding_then_counting_working_days_round_trips(start: int, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.is_working[end]
    assert end >= start
    if n > 0:
        assert CAL.working_days_between(start, end) == n
    assert CAL.sub_working_days(end, 0) == end


@given(max_raw=st.integers(2, 120), data=st.data())
def test_grade_is_monotone_in_raw_score_and_pass_means_at_least_the_cut(
    max_raw: int, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(1, max_raw))
    grades = [float(grade_10(raw, max_raw, cut)) for raw in range(max_raw + 1)]
    assert grades == sorted(grades)
    assert grades[0] == 1.0 and grades[-1] == 10.0
    for raw, g in enumerate(grades):
        assert (g >= 5.5) == (raw >= cut)
        assert convert("pass-or-fail", raw, max_raw, cut) == (
            "passed" if raw >= cut else "failed",
            raw >= cut,
        )
        ovg, passed = convert("insufficient-satisfactory-good", raw, max_raw, cut)
        assert (ovg != "insufficient") == passed


@given(n=st.integers(0, 2**128 - 1))
def test_fast_uuid_is_the_standard_version_4_uuid(n: int) -> None:
    import random

    from oke_sim.rng import new_uuid, reference_uuid

    class Fixed(random.Random):
        def getrandbits(self, k: int) -> int:
            return n

    assert new_uuid(Fixed()) == reference_uuid(n)


@given(max_raw=st.integers(1, 150), data=st.data())
def test_truth_grades_agree_with_the_core_grading(max_raw: int, data: st.DataObject) -> None:
    from oke_core.grading import convert as core_convert

    cut = data.draw(st.integers(1, max_raw))
    raw = data.draw(st.integers(0, max_raw))
    for rvt in ("0.0-10.0", "pass-or-fail", "insufficient-satisfactory-good"):
        core = core_convert(rvt, raw, max_raw, cut)
        assert convert(rvt, raw, max_raw, cut) == (core.score, core.passed)
