"""Dagelijkse logcontrole: what the exam office checks every morning during the marking period."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from oke_core.policy import Policy
from oke_core.reports.counts import is_quarantine, log_level
from oke_core.reports.lookups import Lookups, day_of, iso
from oke_core.reports.trace import log_entry
from oke_core.store import Store, models

#: Attendance values after which a score is still expected.
SCORED_ATTENDANCE = frozenset({"present", "notFinished"})
#: How many working days the trend looks back (about one marking period).
TREND_WORKING_DAYS = 20


@dataclass(slots=True)
class _Expected:
    association_id: str
    student_id: str
    component_id: str
    sitting_date: date
    expected_by: date
    arrived_on: date | None  # the day KRS had what it needed (score, or an absence)


def _expectations(store: Store, look: Lookups, policy: Policy) -> list[_Expected]:
    """Every planned participation with the day its result was due and the day it arrived."""
    results = {}
    for r in store.rows(models.Result):
        if r["attendance"] is not None and r["attendance"] not in SCORED_ATTENDANCE:
            done = r["received_on"]
        else:
            done = r["scored_on"]
        results[r["association_id"]] = done
    term = policy.marking_working_days + policy.import_working_days
    out = []
    for p in store.rows(models.Participation):
        session = look.sessions.get(p["offering_id"])
        if session is None:
            continue
        arrived = results.get(p["association_id"])
        if arrived is None and (p["state"] == "canceled" or session["state"] == "canceled"):
            continue  # a cancelled participation without any delivery is not a missing result
        sitting = session["sitting_date"]
        out.append(
            _Expected(
                p["association_id"],
                p["student_id"],
                session["component_id"],
                sitting,
                look.calendar.add(sitting, term),
                arrived,
            )
        )
    return out


def _is_missing(e: _Expected, day: date) -> bool:
    return e.expected_by < day and (e.arrived_on is None or e.arrived_on > day)


def _breaches(store: Store, look: Lookups) -> dict[date, list[dict[str, Any]]]:
    """Deadline breaches by the day KRS could see them."""
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for r in store.rows(models.Result):
        code = look.component(r["component_id"])["code"]
        seen = r["imported_on"] or r["scored_on"]
        if r["marking_late"] and seen:
            by_day[seen].append(
                {
                    "kind": "marking",
                    "association_id": r["association_id"],
                    "component_code": code,
                    "deadline": iso(r["marking_deadline"]),
                    "actual": iso(r["marked_on"]),
                }
            )
        if r["import_late"] and seen:
            by_day[seen].append(
                {
                    "kind": "import",
                    "association_id": r["association_id"],
                    "component_code": code,
                    "deadline": iso(r["import_deadline"]),
                    "actual": iso(r["imported_on"]),
                }
            )
        if (
            r["definitive_on"]
            and r["establishment_due"]
            and r["definitive_on"] > r["establishment_due"]
            and r["early_by"] is None
        ):
            by_day[r["definitive_on"]].append(
                {
                    "kind": "establishment",
                    "association_id": r["association_id"],
                    "component_code": code,
                    "deadline": iso(r["establishment_due"]),
                    "actual": iso(r["definitive_on"]),
                }
            )
        elif r["definitive_on"] is None and r["establishment_due"] and r["status"] != "withdrawn":
            # never established: the breach shows on the first working day after the due date
            by_day[look.calendar.add(r["establishment_due"], 1)].append(
                {
                    "kind": "establishment",
                    "association_id": r["association_id"],
                    "component_code": code,
                    "deadline": iso(r["establishment_due"]),
                    "actual": None,
                }
            )
    for rows in by_day.values():
        rows.sort(key=lambda b: (b["kind"], b["component_code"], b["association_id"]))
    return by_day


def daily_control(store: Store, policy: Policy, day: date) -> dict[str, Any]:
    """The control for ``day``: its log errors, results overdue, breaches seen, actions, and a trend."""
    look = Lookups.load(store)
    cal = look.calendar
    expected = _expectations(store, look, policy)
    breaches = _breaches(store, look)
    received: Counter[date] = Counter()
    errors_by_day: Counter[date] = Counter()
    errors: list[dict[str, Any]] = []
    for entry in store.log():
        d = day_of(entry["at"])
        if d is None:
            continue  # stamped "" (a KRS step before the clock started): on no day of the control
        if entry["kind"] == "message":
            received[d] += 1
        if log_level(entry) == "error":
            errors_by_day[d] += 1
            if d == day:
                errors.append({**log_entry(entry), "level": "error"})

    missing = []
    for e in expected:
        if not _is_missing(e, day):
            continue
        comp = look.component(e.component_id)
        missing.append(
            {
                "association_id": e.association_id,
                "student_number": look.student_number(e.student_id),
                "component_code": comp["code"],
                "sitting_date": iso(e.sitting_date),
                "expected_by": iso(e.expected_by),
                "working_days_overdue": cal.between(e.expected_by, day),
                "supplier": comp.get("supplier") or "onbekend",
            }
        )
    missing.sort(
        key=lambda m: (
            m["supplier"],
            m["component_code"],
            m["sitting_date"],
            m["student_number"],
            m["association_id"],
        )
    )

    actions = _actions(missing, errors, store, look)
    trend_days = [day]
    while len(trend_days) < TREND_WORKING_DAYS:
        prev = trend_days[-1]
        candidate = date.fromordinal(prev.toordinal() - 1)
        while not cal.is_working_day(candidate):
            candidate = date.fromordinal(candidate.toordinal() - 1)
        trend_days.append(candidate)
    trend = [
        {
            "date": iso(d),
            "received": received[d],
            "errors": errors_by_day[d],
            "missing": sum(1 for e in expected if _is_missing(e, d)),
            "breaches": len(breaches.get(d, [])),
        }
        for d in sorted(trend_days)
    ]
    return {
        "day": iso(day),
        "errors": errors,
        "missing_results": missing,
        "breaches": breaches.get(day, []),
        "actions": actions,
        "trend": trend,
    }


def _actions(
    missing: list[dict[str, Any]], errors: list[dict[str, Any]], store: Store, look: Lookups
) -> list[dict[str, Any]]:
    """What the exam office should ask each supplier today (Dutch, people read it)."""
    out: list[dict[str, Any]] = []
    per_supplier: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in missing:
        per_supplier[m["supplier"]].append(m)
    for supplier in sorted(per_supplier):
        rows = per_supplier[supplier]
        oldest = min(r["sitting_date"] for r in rows)
        worst = max(r["working_days_overdue"] for r in rows)
        comps = ", ".join(sorted({r["component_code"] for r in rows}))
        noun = "resultaat ontbreekt" if len(rows) == 1 else "resultaten ontbreken"
        out.append(
            {
                "supplier": supplier,
                "text": (
                    f"Neem contact op met {supplier}: {len(rows)} {noun} na de termijn ({comps}); "
                    f"oudste afname "
                    f"{oldest}, tot {worst} werkdag(en) te laat."
                ),
            }
        )
    quarantined = [e for e in errors if is_quarantine(e)]
    if quarantined:
        parts = {p["association_id"]: p for p in store.rows(models.Participation)}
        per: dict[str, Counter[str]] = defaultdict(Counter)
        for e in quarantined:
            part = parts.get(e.get("association_id") or "")
            session = look.sessions.get(part["offering_id"]) if part else None
            named = look.component(session["component_id"]).get("supplier") if session else None
            per[named or "onbekende leverancier"][e.get("reason") or "onbekend"] += 1
        for supplier in sorted(per):
            reasons = ", ".join(f"{n}x {code}" for code, n in sorted(per[supplier].items()))
            out.append(
                {
                    "supplier": supplier,
                    "text": (
                        f"Controleer de berichten in quarantaine ({reasons}) en vraag {supplier} "
                        f"om een herstelde "
                        f"levering."
                    ),
                }
            )
    return out
