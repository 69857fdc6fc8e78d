"""Exam board report (examencommissie): results, cut scores, deadlines, cases and deviations."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any, TypedDict

from oke_core.events import INADMISSIBLE
from oke_core.policy import Policy
from oke_core.reports.counts import intake_counts, is_irregularity, log_level, numeric_grade
from oke_core.reports.lookups import Lookups, day_of, inspection_closes, iso, status_on
from oke_core.store import Store, models

#: A cut score released later than this many working days after the first sitting is "late"
#: (no policy sets it; the simulator's fallback term, docs/rehearse.md).
CUT_SCORE_EXPECTED_WORKING_DAYS = 20


def _share(part: int, total: int) -> float:
    return round(part / total, 4) if total else 1.0


class DeadlineShare(TypedDict):
    """One entry of compliance.json ``deadlines``: how many results met one deadline kind."""

    deadline_working_days: int | None
    total: int
    on_time: int
    late: int
    share_on_time: float


def _deadline(n_days: int | None, total: int, late: int) -> DeadlineShare:
    return {
        "deadline_working_days": n_days,
        "total": total,
        "on_time": total - late,
        "late": late,
        "share_on_time": _share(total - late, total),
    }


def _blank_counts() -> dict[str, Any]:
    return {"results": 0, "provisional": 0, "definitive": 0, "passed": 0, "failed": 0, "no_outcome": 0}


def compliance(
    store: Store, policy: Policy, as_of: date, meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    """compliance.json (INTERFACES.md section 11); every list in a stable order."""
    meta = meta or {}
    look = Lookups.load(store)
    cal = look.calendar
    colleges = {c["code"]: c.get("name", c["code"]) for c in meta.get("colleges", [])}

    # -- periods: per period, per college and per component -------------------------------------
    period_span: dict[str, list[date]] = {}
    for s in look.sessions.values():
        span = period_span.setdefault(s["period"] or "-", [s["sitting_date"], s["sitting_date"]])
        span[0], span[1] = min(span[0], s["sitting_date"]), max(span[1], s["sitting_date"])
    by_college: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    by_component: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    grades: dict[tuple[str, str], list[float]] = defaultdict(list)
    totals: Counter[str] = Counter()
    status_changes: Counter[tuple[date, str]] = Counter()
    marking, imports, establishment = [0, 0], [0, 0], [0, 0]
    corrections = 0
    due_by_result: dict[str, date | None] = {}
    inspection_ends: dict[str, date | None] = {}
    for r in store.rows(models.Result):
        if r["received_on"] > as_of:
            continue
        status = status_on(r, as_of)
        totals["results"] += 1
        totals[status] += 1
        corrections += r["corrections"] or 0
        due_by_result[r["association_id"]] = r["complaint_deadline"]
        inspection_ends[r["association_id"]] = inspection_closes(r)
        start = r["provisional_since"] or r["received_on"]
        status_changes[(start, "provisional")] += 1
        if status in ("definitive", "withdrawn") and r["definitive_on"]:
            status_changes[(r["definitive_on"], "provisional")] -= 1
            status_changes[(r["definitive_on"], "definitive")] += 1
        if status == "withdrawn" and r["withdrawn_on"]:
            key = "definitive" if r["definitive_on"] else "provisional"
            status_changes[(r["withdrawn_on"], key)] -= 1
        comp = look.component(r["component_id"])
        session = look.sessions.get(r["offering_id"]) or {"period": "-"}
        period = session["period"] or "-"
        college = comp.get("college_code", "")
        for table, key, extra in (
            (
                by_college[period],
                college,
                {"college_code": college, "college_name": colleges.get(college, college)},
            ),
            (
                by_component[period],
                comp["code"],
                {
                    "component_code": comp["code"],
                    "component_name": comp["name"],
                    "college_code": college,
                    "variant": comp.get("variant"),
                },
            ),
        ):
            row = table.setdefault(key, {**extra, **_blank_counts()})
            row["results"] += 1
            if status in ("provisional", "definitive"):
                row[status] += 1
            if r["passed"] is True and status != "withdrawn":
                row["passed"] += 1
            elif r["passed"] is False and status != "withdrawn":
                row["failed"] += 1
            else:  # absent or unfinished, not yet marked or converted, or withdrawn: the rows add up
                row["no_outcome"] += 1
        value = numeric_grade(r["grade"]) if r["grade"] is not None else None
        if value is not None and status != "withdrawn":
            grades[(period, comp["code"])].append(value)
        if r["marked_on"] is not None and r["marked_on"] <= as_of:
            marking[0] += 1
            marking[1] += bool(r["marking_late"])
        if r["imported_on"] is not None and r["imported_on"] <= as_of and r["import_late"] is not None:
            imports[0] += 1
            imports[1] += bool(r["import_late"])
        due = r["establishment_due"]
        if status in ("definitive", "withdrawn") and r["definitive_on"] and due:
            establishment[0] += 1
            establishment[1] += r["definitive_on"] > due and r["early_by"] is None
        elif status == "provisional" and due and due < as_of:
            establishment[0] += 1  # still provisional after its establishment date: late as well
            establishment[1] += 1
    periods = []
    for period in sorted(period_span):
        comps = []
        for row in sorted(
            by_component[period].values(), key=lambda x: (x["component_code"], x["college_code"])
        ):
            g = grades.get((period, row["component_code"]))
            comps.append({**row, "mean_grade": round(statistics.fmean(g), 2) if g else None})
        periods.append(
            {
                "period": period,
                "from": iso(period_span[period][0]),
                "to": iso(period_span[period][1]),
                "by_college": sorted(by_college[period].values(), key=lambda x: x["college_code"]),
                "by_component": comps,
            }
        )

    # -- status over time (end-of-day counts) ----------------------------------------------------
    status_over_time = []
    if status_changes:
        day, prov, defi = min(d for d, _ in status_changes), 0, 0
        while day <= as_of:
            prov += status_changes.get((day, "provisional"), 0)
            defi += status_changes.get((day, "definitive"), 0)
            status_over_time.append({"date": iso(day), "provisional": prov, "definitive": defi})
            day += timedelta(days=1)

    # -- cut scores -------------------------------------------------------------------------------
    first_sitting: dict[str, date] = {}
    for s in look.sessions.values():
        v = s["exam_version_id"]
        first_sitting[v] = min(first_sitting.get(v, s["sitting_date"]), s["sitting_date"])
    released = {c["exam_version_id"]: c for c in store.rows(models.CutScore)}
    cut_scores = []
    for vid, version in look.versions.items():
        comp = look.component(version["component_id"])
        if not comp.get("cut_score_required") or vid not in first_sitting:
            continue
        c = released.get(vid)
        on = day_of(c["released_at"]) if c else None
        if on is not None and on > as_of:
            c, on = None, None
        first = first_sitting[vid]
        wd = cal.between(first, on) if on else None
        overdue = (
            wd > CUT_SCORE_EXPECTED_WORKING_DAYS
            if wd is not None
            else (cal.between(first, as_of) > CUT_SCORE_EXPECTED_WORKING_DAYS)
        )
        cut_scores.append(
            {
                "exam_version": version["code"],
                "component_code": comp["code"],
                "cut_score": c["cut_score"] if c else None,
                "max_raw_score": version["max_raw_score"],
                "released_on": iso(on),
                "released_by": c["released_by"] if c else None,
                "first_sitting": iso(first),
                "working_days_after_first_sitting": wd,
                "late": bool(overdue),
            }
        )
    cut_scores.sort(key=lambda x: (x["component_code"], x["exam_version"]))

    # -- cases --------------------------------------------------------------------------------------
    cases_out: dict[str, Any] = {}
    windows = {"inspection": due_by_result, "complaint": due_by_result}
    appeal_due = {r["association_id"]: r["appeal_deadline"] for r in store.rows(models.Result)}
    for kind, label in (("inspection", "inspections"), ("complaint", "complaints"), ("appeal", "appeals")):
        stats = {
            "filed": 0,
            "decided": 0,
            "upheld": 0,
            "rejected": 0,
            "inadmissible": 0,
            "open": 0,
            "on_time": 0,
        }
        durations: list[int] = []
        due = windows.get(kind, appeal_due)
        for case in store.rows(models.Case, kind=kind):
            filed = day_of(case["filed_at"])
            if filed is None or filed > as_of:
                continue
            stats["filed"] += 1
            if case["status"] in INADMISSIBLE:
                # settled when it was filed (not admitted); filed too late by definition, and no
                # handling time: a 0 would pull the median down
                stats["decided"] += 1
                stats["inadmissible"] += 1
                continue
            decided = day_of(case["decided_at"])
            if kind == "inspection" and case["status"] == "open":
                closes = inspection_ends.get(case["association_id"])
                if closes is not None and closes < as_of:
                    stats["decided"] += 1
                    durations.append(cal.between(filed, max(filed, closes)))
                else:
                    stats["open"] += 1
            elif case["status"] == "decided" and decided is not None and decided <= as_of:
                stats["decided"] += 1
                if case["outcome"] in ("upheld", "rejected"):
                    stats[case["outcome"]] += 1
                durations.append(cal.between(filed, decided))
            else:
                stats["open"] += 1
            deadline = due.get(case["association_id"])
            stats["on_time"] += deadline is None or filed <= deadline
        median = statistics.median(durations) if durations else None
        cases_out[label] = {**stats, "median_working_days": median}
    cases_out["corrections"] = corrections

    # -- deviations -------------------------------------------------------------------------------
    deviations = _deviations(store, as_of)

    intake = intake_counts(store, as_of)
    deadlines: dict[str, DeadlineShare] = {
        "marking": _deadline(policy.marking_working_days, *marking),
        "import": _deadline(policy.import_working_days, *imports),
        "establishment": _deadline(policy.establishment_working_days, *establishment),
    }
    result: dict[str, Any] = {
        "scenario": meta.get("scenario"),
        "seed": meta.get("seed"),
        "policy": policy.name,
        "as_of": iso(as_of),
        "institution": {
            "name": (meta.get("institution") or {}).get("name") or look.institution.get("name", "")
        },
        "totals": {
            "messages": intake["received"],
            "applied": intake["applied"],
            "duplicates": intake["duplicates"],
            "quarantined": intake["quarantined"],
            "results": totals["results"],
            "provisional": totals["provisional"],
            "definitive": totals["definitive"],
            "withdrawn": totals["withdrawn"],
        },
        "quarantine_reasons": dict(sorted(intake["quarantine_reasons"].items())),
        "periods": periods,
        "status_over_time": status_over_time,
        "cut_scores": cut_scores,
        "deadlines": deadlines,
        "cases": cases_out,
        "deviations": deviations,
    }
    result["annual_evaluation"] = {
        "results": totals["results"],
        "corrections": corrections,
        "complaints": cases_out["complaints"]["filed"],
        "appeals": cases_out["appeals"]["filed"],
        "share_marking_on_time": deadlines["marking"]["share_on_time"],
        "share_import_on_time": deadlines["import"]["share_on_time"],
        "share_established_on_time": deadlines["establishment"]["share_on_time"],
        "quarantine_share": round(intake["quarantined"] / intake["received"], 4)
        if intake["received"]
        else 0.0,
    }
    return result


def _deviations(store: Store, as_of: date, examples: int = 5) -> list[dict[str, Any]]:
    """Irregularities (flow 4 and results), log errors and refused status transitions."""
    irregular: list[Any] = []
    n_irregular = 0
    for rep in store.rows(models.SessionReport):
        if is_irregularity(rep["irregularities"]) and rep["received_at"][:10] <= as_of.isoformat():
            n_irregular += 1
            if len(irregular) < examples:
                irregular.append({"offering_id": rep["offering_id"], "text": rep["irregularities"]})
    log_errors: list[Any] = []
    illegal: list[Any] = []
    n_errors = n_illegal = 0
    for entry in store.log():
        if entry["at"][:10] > as_of.isoformat():
            continue
        if log_level(entry) != "error":
            continue
        if entry["kind"] == "error" and entry["rule"] == "illegal-transition":
            n_illegal += 1
            if len(illegal) < examples:
                illegal.append(
                    {"association_id": entry["association_id"], "from": entry["before"], "to": entry["after"]}
                )
        else:
            n_errors += 1
            if len(log_errors) < examples:
                log_errors.append(
                    {"kind": entry["kind"], "message_id": entry["message_id"], "reason": entry["reason"]}
                )
    return [
        {"kind": "irregularity", "count": n_irregular, "examples": irregular},
        {"kind": "log_error", "count": n_errors, "examples": log_errors},
        {"kind": "illegal_transition", "count": n_illegal, "examples": illegal},
    ]
