"""Intake counts and log levels, derived from the store alone (not from the ingest's return value),
so the reports and the invariants can recount what happened independently."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from oke_core.calendar import local_date
from oke_core.store import Store, models


def log_level(entry: dict[str, Any]) -> str:
    """error / warning / info for one OKE-log entry (the log stores kinds, not levels).

    Errors are what the exam office must act on: quarantined messages and the core's own ``error``
    entries (refused transitions, failed grade conversions). Warnings: duplicates and exceptions.
    """
    kind = entry.get("kind") or ""
    if kind == "error" or (kind in ("message", "reprocess") and entry.get("after") == "quarantined"):
        return "error"
    if kind == "exception" or (kind == "message" and entry.get("after") == "duplicate"):
        return "warning"
    return "info"


def is_quarantine(entry: dict[str, Any]) -> bool:
    return entry.get("kind") == "message" and entry.get("after") == "quarantined"


def _outcome(entry: dict[str, Any]) -> tuple[str, str | None]:
    """(applied | duplicate | quarantined, reason) of one ``message`` log entry."""
    return entry.get("after") or "", entry.get("reason")


def message_outcomes(store: Store, as_of: date | None = None) -> dict[str, list[tuple[str, str | None]]]:
    """Per message id, the outcome of every delivery in log order (a duplicate adds a second one)."""
    out: dict[str, list[tuple[str, str | None]]] = {}
    for entry in store.rows(models.OkeLogEntry, kind="message"):
        # a message entry is always stamped (its receipt time, else the last usable one)
        if as_of is not None and local_date(entry["at"]) > as_of:
            continue
        out.setdefault(entry["message_id"] or "", []).append(_outcome(entry))
    return out


def intake_counts(store: Store, as_of: date | None = None) -> dict[str, Any]:
    """received / applied / duplicates / quarantined (+ reasons) up to the end of ``as_of``."""
    tally: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for seen in message_outcomes(store, as_of).values():
        for outcome, reason in seen:
            tally[outcome] += 1
            if outcome == "quarantined":
                reasons[reason or "unknown"] += 1
    return {
        "received": sum(tally.values()),
        "applied": tally["applied"],
        "duplicates": tally["duplicate"],
        "quarantined": tally["quarantined"],
        "quarantine_reasons": dict(sorted(reasons.items())),
    }


def numeric_grade(grade: str | None) -> float | None:
    """A grade as a number when it is one (``6.4``, ``6,4``); None for OVG or pass/fail grades."""
    if grade is None:
        return None
    try:
        return float(str(grade).replace(",", "."))
    except ValueError:
        return None


#: Session-report texts that say there was nothing to report (seen in real and simulated flow 4).
NO_IRREGULARITIES = frozenset(
    {"", "-", "geen", "geen bijzonderheden", "geen onregelmatigheden", "n.v.t.", "nvt"}
)


def is_irregularity(text: str | None) -> bool:
    """Whether a flow-4 ``irregularities`` text reports something ("Geen bijzonderheden." does not)."""
    return text is not None and text.strip().rstrip(".").strip().lower() not in NO_IRREGULARITIES
