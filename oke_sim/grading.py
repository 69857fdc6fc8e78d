"""How a raw score becomes a result value, as the simulator's ground truth states it.

Exact rational arithmetic (Fraction) and half-up rounding make the conversion reproducible by
any receiver; the rule is written down in docs/INTERFACES.md (section 4a).
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import cache

PASS_FROM = {"0.0-10.0": "5.5", "pass-or-fail": "passed", "insufficient-satisfactory-good": "satisfactory"}


def tenths_10(raw: int, max_raw: int, cut: int) -> int:
    """Two-segment linear conversion in tenths: 0 -> 10, cut -> 55, max -> 100; half up."""
    if raw >= cut:
        g = Fraction(11, 2) + (
            Fraction(9, 2) * (raw - cut) / (max_raw - cut) if max_raw > cut else Fraction(9, 2)
        )
    else:
        g = 1 + Fraction(9, 2) * raw / cut
    tenths = math.floor(g * 10 + Fraction(1, 2))
    if raw < cut:
        tenths = min(tenths, 54)  # a fail never rounds up to a pass
    return tenths


def grade_10(raw: int, max_raw: int, cut: int) -> str:
    """The 0.0-10.0 grade with one decimal, e.g. "6.4"."""
    tenths = tenths_10(raw, max_raw, cut)
    return f"{tenths // 10}.{tenths % 10}"


@cache
def convert(result_value_type: str, raw: int, max_raw: int, cut: int) -> tuple[str, bool]:
    """The score string in the component's result value type, and whether it is a pass."""
    passed = raw >= cut
    if result_value_type == "0.0-10.0":
        return grade_10(raw, max_raw, cut), passed
    if result_value_type == "pass-or-fail":
        return ("passed" if passed else "failed"), passed
    if result_value_type == "insufficient-satisfactory-good":  # bands of the ten-point grade
        if not passed:
            return "insufficient", False
        return ("good" if tenths_10(raw, max_raw, cut) >= 80 else "satisfactory"), True
    raise ValueError(f"unsupported result value type {result_value_type!r}")
