"""One result followed through the chain (the trainer's walkthrough): steps, log and deadlines."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from oke_core.events import INADMISSIBLE
from oke_core.lifecycle import ESTABLISHED
from oke_core.pages.labels import CASE_OUTCOMES, ESTABLISHMENT_RULES, NOT_ADMITTED
from oke_core.pages.render import grade
from oke_core.reports.lookups import Lookups, day_of, iso
from oke_core.store import Store, models

_ORDER = [
    "sitting",
    "marking",
    "flow3",
    "validation",
    "duplicate",
    "quarantine",
    "provisional",
    "notification",
    "cut_score",
    "inspection",
    "complaint",
    "complaint_decided",
    "correction",
    "definitive",
    "appeal",
    "appeal_window",
]


def _established(rule: str | None) -> str:
    return f"Definitief vastgesteld ({ESTABLISHMENT_RULES.get(rule or '', rule)})"


def log_entry(row: dict[str, Any]) -> dict[str, Any]:
    """A stored OKE-log row as JSON-ready data (``detail`` as an object)."""
    out = dict(row)
    if isinstance(out.get("detail"), str):
        with contextlib.suppress(ValueError):
            out["detail"] = json.loads(out["detail"])
    return out


def trace(store: Store, association_id: str) -> dict[str, Any]:
    """Everything KRS knows about one participation's result, in the order it happened."""
    look = Lookups.load(store)
    r = store.result(association_id)
    if r is None:
        raise KeyError(f"no result registered for association {association_id}")
    comp = look.component(r["component_id"])
    supplier = comp.get("supplier") or "onbekend"
    session = look.sessions.get(r["offering_id"]) or {}
    cal = look.calendar
    steps: list[dict[str, Any]] = []

    def step(kind: str, day: Any, actor: str | None, detail: str, rank_as: str | None = None) -> None:
        """``rank_as``: the step whose place it takes among steps of the same day."""
        if day is not None:
            rank = _ORDER.index(rank_as or kind) if (rank_as or kind) in _ORDER else len(_ORDER)
            steps.append(
                {"step": kind, "date": iso(day), "actor": actor or "", "detail": detail, "_rank": rank}
            )

    step(
        "sitting", r["sitting_date"], supplier, f"Afname in zitting {session.get('name') or r['offering_id']}"
    )
    step(
        "marking",
        r["marked_on"],
        r["assessor_code"] or supplier,
        f"Beoordeeld: {r['raw_score']} van {r['max_raw_score']} punten"
        if r["raw_score"] is not None
        else "Beoordeeld",
    )
    for v in store.versions(association_id):
        what = [f"bericht {v['message_id']}", f"state {v['state']}"]
        if v["attendance"]:
            what.append(f"aanwezigheid {v['attendance']}")
        if v["raw_score"] is not None:
            what.append(f"score {v['raw_score']}/{v['max_raw_score']}")
        step("flow3", day_of(v["received_at"]), supplier, ", ".join(what) + f" (versie {v['version']})")
        step(
            "validation",
            day_of(v["received_at"]),
            "KRS",
            "Geldig volgens het OKE-contract"
            + ("" if v["disposition"] == "current" else f"; {v['disposition']}"),
        )
    log = [log_entry(e) for e in store.log(association_id)]
    for e in log:
        if e["kind"] == "message" and e.get("after") == "quarantined":
            step(
                "quarantine",
                day_of(e["at"]),
                "KRS",
                f"Bericht {e['message_id']} in quarantaine: {e['reason']}",
            )
        elif e["kind"] == "message" and e.get("after") == "duplicate":
            step(
                "duplicate",
                day_of(e["at"]),
                "KRS",
                f"Bericht {e['message_id']} al ontvangen, niet opnieuw verwerkt",
            )
        elif e["kind"] == "transition" and e.get("after") == "definitive":
            # every establishment, also one that a correction later reopened
            how = str(e.get("rule") or "").removeprefix("establishment:")
            step("definitive", day_of(e["at"]), e["actor"], _established(how))
        elif e["kind"] == "transition" and e.get("after") == "corrected" and e.get("before") in ESTABLISHED:
            step("correction", day_of(e["at"]), "KRS", "Correctie na de vaststelling: opnieuw voorlopig")
    step(
        "provisional", r["provisional_since"], "KRS", "Voorlopig resultaat zichtbaar in het studentenportaal"
    )
    step("notification", r["notified_on"], "KRS", "E-mail aan de student: nieuw voorlopig resultaat")
    cut = next(store.rows(models.CutScore, exam_version_id=r["exam_version_id"]), None)
    if cut is not None:
        step(
            "cut_score",
            day_of(cut["released_at"]),
            cut["released_by"],
            f"Cesuur {cut['cut_score']} van {cut['max_raw_score'] or r['max_raw_score']} punten"
            + (f"; cijfer {grade(r['grade'])}" if r["grade"] else ""),
        )
    for case in store.rows(models.Case, association_id=association_id):
        kind = case["kind"]
        inadmissible = case["status"] in INADMISSIBLE
        filed_text = case["reason"] or case["kind"]
        step(
            kind,
            day_of(case["filed_at"]),
            "student",
            filed_text + (NOT_ADMITTED if inadmissible else ""),
            # not admitted because the result was already established: after it on the same day
            rank_as="appeal" if inadmissible and kind == "complaint" else None,
        )
        if case["decided_at"]:
            step(
                "complaint_decided" if case["kind"] != "appeal" else "appeal",
                day_of(case["decided_at"]),
                case["decided_by"],
                f"Uitspraak: {CASE_OUTCOMES.get(case['outcome'], case['outcome'])}"
                + (" (zonder gevolg voor het resultaat)" if inadmissible else ""),
            )
    if r["corrections"]:
        step("correction", r["scored_on"], supplier, f"{r['corrections']} correctie(s) ontvangen")
    if r["definitive_on"] is not None and not any(s["step"] == "definitive" for s in steps):
        # a log without its transitions: the result row still says when
        step("definitive", r["definitive_on"], r["definitive_by"], _established(r["definitive_rule"]))
    step("appeal_window", r["appeal_deadline"], "CBE", "Einde beroepstermijn")
    steps.sort(key=lambda s: (s["date"], s["_rank"]))
    for s in steps:
        del s["_rank"]

    deadlines = []
    for name, value in (
        ("marking", r["marking_deadline"]),
        ("import", r["import_deadline"]),
        ("complaint", r["complaint_deadline"]),
        ("establishment", r["establishment_due"]),
        ("appeal", r["appeal_deadline"]),
    ):
        if value is not None:
            deadlines.append(
                {"name": name, "date": iso(value), "working_days": cal.between(r["sitting_date"], value)}
            )
    return {
        "association_id": association_id,
        "variant": r["variant"],
        "status": r["status"],
        "student": {
            "student_number": look.student_number(r["student_id"]),
            "name": look.student_name(r["student_id"]),
        },
        "component": {
            "code": comp["code"],
            "name": comp["name"],
            "supplier": supplier,
            "result_value_type": comp.get("result_value_type"),
            "variant": comp.get("variant"),
        },
        "steps": steps,
        "log": log,
        "deadlines": deadlines,
    }
