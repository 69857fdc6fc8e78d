"""Which results the walkthrough shows: pure choices over results.csv rows (no store access).

A good teaching example went the whole way: it arrived, was marked and became definitive. The
choice is deterministic (first association id that qualifies), so reruns show the same result.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _quality(row: dict[str, Any]) -> int:
    """Higher is a better example: definitive with a grade, then any graded, then anything."""
    score = 0
    if row.get("variant") == 1 and row.get("cut_score_known_on"):
        score += 8  # variant 1's teaching point: provisional until the cut score, then converted
    if row.get("status") == "definitive":
        score += 4
    if row.get("grade") not in (None, ""):
        score += 2
    if row.get("attendance") == "present":
        score += 1
    return score


def choose_examples(rows: Iterable[dict[str, Any]]) -> dict[int, str]:
    """The best example association per variant (1 and 2), by quality then association id."""
    best: dict[int, tuple[int, str]] = {}
    for row in rows:
        variant = row.get("variant")
        if variant not in (1, 2) or row.get("status") == "quarantined":
            continue
        key = (-_quality(row), str(row["association_id"]))
        if variant not in best or key < best[variant]:
            best[variant] = key
    return {v: aid for v, (_q, aid) in sorted(best.items())}


def counterpart(
    rows: Iterable[dict[str, Any]], association_id: str
) -> tuple[dict[str, Any] | None, str | None]:
    """The chosen row, and an example of the other variant to show beside it.

    Prefers the same student, then the sitting date closest to the chosen one.
    """
    rows = list(rows)
    chosen = next((r for r in rows if r["association_id"] == association_id), None)
    if chosen is None or chosen.get("variant") not in (1, 2):
        return chosen, None
    other = 2 if chosen["variant"] == 1 else 1
    day = str(chosen.get("sitting_date") or "")
    best: tuple[int, int, int, str] | None = None
    for r in rows:
        if r.get("variant") != other or r.get("status") == "quarantined":
            continue
        same_student = 0 if r.get("student_number") == chosen.get("student_number") else 1
        distance = abs(_ordinal(str(r.get("sitting_date") or "")) - _ordinal(day))
        key = (-_quality(r), same_student, distance, str(r["association_id"]))
        if best is None or key < best:
            best = key
    return chosen, (best[3] if best else None)


def _ordinal(day: str) -> int:
    from datetime import date

    try:
        return date.fromisoformat(day[:10]).toordinal()
    except ValueError:
        return 0
