"""Working days, policy files and grade conversion: the small pure modules."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oke_core.calendar import WorkingDays
from oke_core.dataerrors import DataError
from oke_core.grading import CutScoreError, convert, passes, ten_point
from oke_core.policy import load_policy, parse_policy

CAL = WorkingDays([date(2026, 10, 19)])


def test_public_holidays_weekends_and_closure_days_are_not_working_days() -> None:
    assert not CAL.is_working_day(date(2026, 4, 27))  # Koningsdag
    assert not CAL.is_working_day(date(2026, 12, 25))
    assert not CAL.is_working_day(date(2026, 10, 17))  # Saturday
    assert not CAL.is_working_day(date(2026, 10, 19))  # the institution's own closure day
    assert CAL.holiday_name(date(2026, 10, 19)) == "sluitingsdag instelling"
    assert CAL.is_working_day(date(2026, 10, 20))


def test_add_working_days_skips_holidays() -> None:
    assert CAL.add(date(2026, 4, 24), 1) == date(2026, 4, 28)  # Fri -> skip weekend + Koningsdag
    assert CAL.add(date(2026, 10, 16), 1) == date(2026, 10, 20)  # Fri -> skip weekend + closure day
    assert CAL.add(date(2026, 10, 17), 0) == date(2026, 10, 20)  # 0: the day itself or the next working day
    assert CAL.add(date(2026, 9, 14), 30) == date(2026, 10, 27)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 60))
def test_add_then_count_round_trips(day: date, n: int) -> None:
    end = CAL.add(day, n)
    assert CAL.is_working_day(end)
    assert end >= day
    if n > 0:
        assert CAL.between(day, end) == n
        assert CAL.between(day, end - timedelta(days=1)) == n - 1


def test_presets_carry_the_seed_values() -> None:
    b, e = load_policy("beoordelen"), load_policy("eduarte")
    assert (b.marking_working_days, b.import_working_days, b.complaint_window_working_days) == (5, 2, None)
    assert (b.establishment_rule, b.appeal_window_working_days, b.notify_students) == (
        "after_cut_score",
        None,
        False,
    )
    assert (e.marking_working_days, e.import_working_days, e.complaint_window_working_days) == (15, 0, 10)
    assert (e.establishment_rule, e.establishment_working_days, e.appeal_window_working_days) == (
        "fixed_working_days_after_sitting",
        30,
        10,
    )
    assert e.notify_students and "Beste student" in (e.notification_template or "")


def test_bad_policy_names_file_line_pointer_and_rule(tmp_path: Path) -> None:
    text = (
        Path(load_policy.__code__.co_filename)
        .parents[1]
        .joinpath("scenarios/policies/eduarte.yaml")
        .read_text()
    )
    bad = text.replace("  rule: fixed_working_days_after_sitting", "  rule: whenever")
    with pytest.raises(DataError) as exc:
        parse_policy(bad, tmp_path / "mine.yaml")
    err = exc.value
    assert err.pointer == "/establishment/rule" and err.rule == "schema.enum"
    assert err.line == bad.splitlines().index("  rule: whenever") + 1
    assert str(err).startswith(f"{tmp_path / 'mine.yaml'}:{err.line}: /establishment/rule:")
    with pytest.raises(DataError, match=r"yaml-syntax"):
        parse_policy("name: [unclosed", "x.yaml")
    with pytest.raises(DataError, match=r"'unused' was unexpected"):
        parse_policy(text + "unused: 1\n", "y.yaml")
    silent = text[: text.index("notification_template: |")] + "notification_template: null\n"
    with pytest.raises(DataError, match=r"/notification_template: None is not of type 'string'"):
        parse_policy(silent, "z.yaml")
    with pytest.raises(DataError, match="policy.not-found"):
        load_policy("nonexistent")


def test_ten_point_anchor_points() -> None:
    assert ten_point(0, 60, 30) == Decimal("1.0")
    assert ten_point(30, 60, 30) == Decimal("5.5")
    assert ten_point(60, 60, 30) == Decimal("10.0")
    assert ten_point(29, 60, 30) == Decimal("5.4")  # never rounds up to a pass below the cut score
    assert convert("0-10", 29, 60, 30).score == "5" and convert("0-10", 30, 60, 30).score == "6"
    assert convert("0-100", 45, 60, 30).score == "75"
    assert convert("pass-or-fail", 30, 60, 30).score == "passed"
    assert convert("insufficient-satisfactory-good", 50, 60, 30).score == "good"
    with pytest.raises(CutScoreError):
        convert("0.0-10.0", 10, 60, 61)
    with pytest.raises(ValueError):
        convert("US letter", 10, 60, 30)


@given(
    st.integers(1, 200).flatmap(
        lambda m: st.tuples(st.just(m), st.integers(0, m), st.integers(0, m), st.integers(0, m))
    )
)
def test_conversion_is_monotonic_and_pass_matches_cut(args: tuple[int, int, int, int]) -> None:
    max_raw, cut, r1, r2 = args
    lo, hi = sorted((r1, r2))
    g_lo, g_hi = convert("0.0-10.0", lo, max_raw, cut), convert("0.0-10.0", hi, max_raw, cut)
    assert Decimal("1.0") <= Decimal(g_lo.score) <= Decimal(g_hi.score) <= Decimal("10.0")
    assert g_lo.passed == (lo >= cut) == (Decimal(g_lo.score) >= Decimal("5.5"))


def test_delivered_scores_pass_by_supplier_or_pass_from() -> None:
    assert passes("0.0-10.0", "6.0", "5.5", None) is True
    assert passes("0.0-10.0", "5,4", "5.5", None) is False
    assert passes("0.0-10.0", "9.0", "5.5", "failed") is False
    assert passes("insufficient-satisfactory-good", "good", "satisfactory", None) is True
    assert passes("referenceLevelERK", "B1", None, None) is None
