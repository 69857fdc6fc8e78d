"""Does a `score` string fit the exam component's result value type (PDF Tabel 4.1.D, Tabel 4.3.D)?"""

from __future__ import annotations

import re
from functools import lru_cache

RESULT_VALUE_TYPES: tuple[str, ...] = (
    "pass-or-fail",
    "insufficient-satisfactory-good",
    "US letter",
    "UK letter",
    "DE grade",
    "0-100",
    "0-10",
    "0.0-10.0",
    "referenceLevelRKTR",
    "referenceLevelERK",
)

_RKTR = ("1F", "1S", "2F", "2S", "3F", "3S", "4F", "4S")
_INTEGER = re.compile(r"[0-9]{1,3}")
_DECIMAL = re.compile(r"[0-9]{1,2}(?:[.,][0-9]+)?")
_US = re.compile(r"[A-DF][+-]?")
_UK = re.compile(r"[A-GU][+-]?")

# What a valid score looks like, per type, for messages and explanations.
EXPECTED: dict[str, str] = {
    "pass-or-fail": "'passed' or 'failed'",
    "insufficient-satisfactory-good": "'insufficient', 'satisfactory' or 'good'",
    "US letter": "a letter A-D or F, optionally followed by + or -",
    "UK letter": "a letter A-G or U, optionally followed by + or -",
    "DE grade": "any German grade (the format is not specified)",
    "0-100": "a whole number from 0 to 100",
    "0-10": "a whole number from 0 to 10",
    "0.0-10.0": "a decimal number from 0.0 to 10.0, e.g. '7.5'",
    "referenceLevelRKTR": "one of 1F, 1S, 2F, 2S, 3F, 3S, 4F, 4S, or 'Op weg naar 1F' (and so on)",
    "referenceLevelERK": "one of A1, A2, B1, B2, C1, C2",
}


@lru_cache(maxsize=8192)  # a few hundred distinct scores per type in practice: parse each once
def score_fits(score: str, value_type: str) -> bool:
    """True when `score` is a value of `value_type`; interval ends are inclusive (the sources are silent)."""
    if value_type == "pass-or-fail":
        return score in ("passed", "failed")
    if value_type == "insufficient-satisfactory-good":
        return score in ("insufficient", "satisfactory", "good")
    if value_type == "US letter":
        return _US.fullmatch(score) is not None
    if value_type == "UK letter":
        return _UK.fullmatch(score) is not None
    if value_type == "DE grade":
        return bool(score.strip())
    if value_type in ("0-100", "0-10"):
        top = 100 if value_type == "0-100" else 10
        return _INTEGER.fullmatch(score) is not None and int(score) <= top
    if value_type == "0.0-10.0":
        return _DECIMAL.fullmatch(score) is not None and float(score.replace(",", ".")) <= 10.0
    if value_type == "referenceLevelRKTR":
        return score in _RKTR or (score.startswith("Op weg naar ") and score[12:] in _RKTR)
    if value_type == "referenceLevelERK":
        return score in ("A1", "A2", "B1", "B2", "C1", "C2")
    raise ValueError(f"unknown result value type {value_type!r}")
