"""summary.json: the headline counts of a rehearsal and the outcome of every invariant."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

COUNT_KEYS = (
    "messages",
    "applied",
    "duplicates",
    "quarantined",
    "results",
    "provisional",
    "definitive",
    "withdrawn",
    "deadline_breaches",
)


def deadline_breaches(compliance: Mapping[str, Any]) -> int:
    return sum(int(d["late"]) for d in compliance["deadlines"].values())


def summary(
    counts: Mapping[str, Any], compliance: Mapping[str, Any], checks: Iterable[Any]
) -> dict[str, Any]:
    """``counts`` are intake counts (received/applied/duplicates/quarantined); ``checks`` are Invariants
    or dicts with name/passed/detail."""
    totals = compliance["totals"]
    merged = {
        "messages": counts.get("received", totals["messages"]),
        "applied": counts.get("applied", totals["applied"]),
        "duplicates": counts.get("duplicates", totals["duplicates"]),
        "quarantined": counts.get("quarantined", totals["quarantined"]),
        "results": totals["results"],
        "provisional": totals["provisional"],
        "definitive": totals["definitive"],
        "withdrawn": totals["withdrawn"],
        "deadline_breaches": deadline_breaches(compliance),
    }
    rows = []
    for c in checks:
        d = c if isinstance(c, Mapping) else c.as_dict()
        rows.append({"name": d["name"], "passed": bool(d["passed"]), "detail": d.get("detail", "")})
    rows.sort(key=lambda x: x["name"])
    return {
        "scenario": compliance.get("scenario"),
        "seed": compliance.get("seed"),
        "policy": compliance.get("policy"),
        "as_of": compliance.get("as_of"),
        "counts": {k: merged[k] for k in COUNT_KEYS},
        "quarantine_reasons": compliance.get("quarantine_reasons", {}),
        "checks": rows,
        "all_checks_passed": all(r["passed"] for r in rows),
    }
