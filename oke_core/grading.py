"""Raw score + cut score (cesuur) -> grade, per OKE ResultValueType.

Variant 1: KRS converts once the cut score of the exam version is released and valid.
The ``0.0-10.0`` conversion is the common two-piece linear one: 0 -> 1.0, cut -> 5.5,
maximum -> 10.0, rounded half-up to one decimal. Other numeric and ordinal types derive from it
(see docs/core.md). Letter grades and reference levels cannot be derived from a raw score: the
delivered ``score`` is kept as-is.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CONVERTIBLE = frozenset({"0.0-10.0", "0-10", "0-100", "pass-or-fail", "insufficient-satisfactory-good"})
AS_DELIVERED = frozenset({"US letter", "UK letter", "DE grade", "referenceLevelRKTR", "referenceLevelERK"})
OVG_ORDER = {"insufficient": 0, "satisfactory": 1, "good": 2}


class CutScoreError(ValueError):
    """A cut score that cannot be used (negative, or above the maximum raw score)."""


@dataclass(frozen=True)
class Grade:
    score: str  # the grade as the portal shows it (one decimal for 0.0-10.0)
    passed: bool
    method: str  # how it was obtained: "linear-two-piece", "percentage", "as-delivered", ...


def check_cut_score(cut: int, max_raw: int) -> None:
    if not 0 <= cut <= max_raw:
        raise CutScoreError(f"cut score {cut} outside 0..{max_raw} (maximum raw score)")


def _half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def ten_point(raw: int, max_raw: int, cut: int) -> Decimal:
    """0 -> 1.0, cut -> 5.5, max -> 10.0, linear in between; one decimal, half-up."""
    check_cut_score(cut, max_raw)
    raw = max(0, min(raw, max_raw))
    if raw >= max_raw:
        return Decimal("10.0")
    if raw < cut:
        value = Decimal(1) + Decimal("4.5") * Decimal(raw) / Decimal(cut)
    else:
        value = Decimal("5.5") + Decimal("4.5") * Decimal(raw - cut) / Decimal(max_raw - cut)
    grade = _half_up(value, "0.1")
    if raw < cut and grade >= Decimal("5.5"):
        grade = Decimal("5.4")  # below the cut score never rounds up to a pass
    return grade


def convert(result_value_type: str, raw: int, max_raw: int, cut: int) -> Grade:
    """Variant-1 conversion; raises CutScoreError for an unusable cut score, ValueError if unsupported."""
    passed = raw >= cut
    if result_value_type == "0.0-10.0":
        return Grade(f"{ten_point(raw, max_raw, cut)}", passed, "linear-two-piece")
    if result_value_type == "0-10":
        grade = int(_half_up(ten_point(raw, max_raw, cut), "1"))
        if not passed and grade >= 6:
            grade = 5
        return Grade(str(grade), passed, "linear-two-piece-rounded")
    if result_value_type == "0-100":
        check_cut_score(cut, max_raw)
        pct = int(_half_up(Decimal(100) * Decimal(max(0, min(raw, max_raw))) / Decimal(max_raw or 1), "1"))
        return Grade(str(pct), passed, "percentage")
    if result_value_type == "pass-or-fail":
        check_cut_score(cut, max_raw)
        return Grade("passed" if passed else "failed", passed, "cut-score")
    if result_value_type == "insufficient-satisfactory-good":
        ten = ten_point(raw, max_raw, cut)
        word = "good" if ten >= Decimal("8.0") else "satisfactory" if passed else "insufficient"
        return Grade(word, passed, "ten-point-bands")
    raise ValueError(f"result value type {result_value_type!r} cannot be derived from a raw score")


def passes(
    result_value_type: str, score: str | None, pass_from: str | None, delivered_pass: str | None
) -> bool | None:
    """Pass/fail of a delivered score (variant 2, as-delivered): the supplier's ``pass``, else passFrom."""
    if delivered_pass in ("passed", "failed"):
        return delivered_pass == "passed"
    if score is None or pass_from is None:
        return None
    if result_value_type in ("0.0-10.0", "0-10", "0-100"):
        try:
            return Decimal(score.replace(",", ".")) >= Decimal(pass_from.replace(",", "."))
        except ArithmeticError:
            return None
    if (
        result_value_type == "insufficient-satisfactory-good"
        and score in OVG_ORDER
        and pass_from in OVG_ORDER
    ):
        return OVG_ORDER[score] >= OVG_ORDER[pass_from]
    if result_value_type == "pass-or-fail":
        return score == "passed"
    return None
