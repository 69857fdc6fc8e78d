"""Studentenportaal: what each student sees on a day, and the messages the policy sends them."""

from __future__ import annotations

from datetime import date
from typing import Any

from oke_core.events import INADMISSIBLE
from oke_core.pages.labels import CASE_KINDS, CASE_OUTCOMES
from oke_core.policy import Policy
from oke_core.reports.lookups import Lookups, day_of, inspection_closes, iso, status_on
from oke_core.store import Store, models

PORTAL_STATUS = {"provisional": "voorlopig", "definitive": "definitief"}


def _case_view(case: dict[str, Any], result: dict[str, Any], day: date) -> dict[str, Any]:
    """The student's own inspection, complaint or appeal as it stood at the end of ``day``."""
    decided = day_of(case["decided_at"])
    if case["status"] in INADMISSIBLE:
        state = "niet-ontvankelijk"  # KRS refused it when it was filed
    elif case["status"] == "decided" and decided is not None and decided <= day:
        state = CASE_OUTCOMES.get(case["outcome"] or "", "afgehandeld")
    elif case["kind"] == "inspection":
        closes = inspection_closes(result)
        state = "afgerond" if closes is not None and closes < day else "aangevraagd"
    else:
        state = "in behandeling"
    kind = CASE_KINDS.get(case["kind"], case["kind"])
    return {"kind": kind, "filed_on": iso(day_of(case["filed_at"])), "state": state}


def _cases_by_result(store: Store, day: date) -> dict[str, list[dict[str, Any]]]:
    """The cases filed by the end of ``day``, per association, in the order they were filed."""
    found: dict[str, list[dict[str, Any]]] = {}
    for case in sorted(store.rows(models.Case), key=lambda c: (c["filed_at"], c["case_id"])):
        filed = day_of(case["filed_at"])
        if filed is not None and filed <= day:
            found.setdefault(case["association_id"], []).append(case)
    return found


def _score_text(r: dict[str, Any]) -> str | None:
    if r["raw_score"] is not None and r["max_raw_score"]:
        return f"{r['raw_score']} van {r['max_raw_score']} punten"
    if r["delivered_score"]:
        return r["delivered_score"]
    return None


def _grade_known(r: dict[str, Any], look: Lookups, day: date) -> bool:
    """A variant-1 grade exists for the student only once the cut score is known."""
    needs_cut = bool(look.component(r["component_id"]).get("cut_score_required")) and r["variant"] == 1
    return not needs_cut or (r["cut_score_known_on"] is not None and r["cut_score_known_on"] <= day)


def portal_view(store: Store, policy: Policy, day: date, student_id: str | None = None) -> dict[str, Any]:
    """Students (by student number) with the results registered by the end of ``day``.

    Withdrawn results are not shown; a variant-1 grade appears only once the cut score is known;
    ``expected_definitive_on`` is the date the policy will establish a provisional result;
    ``cases`` are the student's inspections, complaints and appeals, with how each stood that day.
    """
    look = Lookups.load(store)
    cases = _cases_by_result(store, day)
    students: dict[str, list[dict[str, Any]]] = {}
    where = {"student_id": student_id} if student_id else {}
    for r in store.rows(models.Result, **where):
        if r["received_on"] > day:
            continue
        status = status_on(r, day)
        if status == "withdrawn":
            continue
        comp = look.component(r["component_id"])
        definitive = status == "definitive"
        students.setdefault(r["student_id"], []).append(
            {
                "component_code": comp["code"],
                "component_name": comp["name"],
                "attempt": r["attempt"],
                "sitting_date": iso(r["sitting_date"]),
                "status": PORTAL_STATUS[status],
                "grade": r["grade"] if _grade_known(r, look, day) else None,
                "score": _score_text(r),
                "attendance": r["attendance"],
                "complaint_until": iso(r["complaint_deadline"]),
                "definitive_on": iso(r["definitive_on"]) if definitive else None,
                "expected_definitive_on": None if definitive else iso(r["establishment_due"]),
                "appeal_until": iso(r["appeal_deadline"]) if definitive else None,
                "cases": [_case_view(c, r, day) for c in cases.get(r["association_id"], ())],
            }
        )
    out: list[dict[str, Any]] = []
    for sid, results in students.items():
        results.sort(key=lambda x: (x["sitting_date"], x["component_code"], x["attempt"]))
        out.append(
            {"student_number": look.student_number(sid), "name": look.student_name(sid), "results": results}
        )
    out.sort(key=lambda s: s["student_number"])
    return {"day": iso(day), "policy": policy.name, "students": out}


def notifications(store: Store, policy: Policy, as_of: date) -> list[dict[str, Any]]:
    """The e-mails the policy requires (new provisional result), in send order; empty if it requires none."""
    if not policy.notify_students:
        return []
    look = Lookups.load(store)
    out = []
    for r in store.rows(models.Result):
        sent = r["notified_on"] or r["provisional_since"]
        if sent is None or sent > as_of or r["status"] == "received":
            continue
        student = look.students.get(r["student_id"]) or {}
        comp = look.component(r["component_id"])
        out.append(
            {
                "date": iso(sent),
                "association_id": r["association_id"],
                "student_number": student.get("student_number", ""),
                "to": student.get("email", ""),
                "name": look.student_name(r["student_id"]),
                "component_code": comp["code"],
                "component_name": comp["name"],
                "subject": f"Nieuw voorlopig resultaat: {comp['name']}",
                "body": policy.notification_template or "",
                "attempt": r["attempt"],
                "attendance": r["attendance"],
                "score": _score_text(r),
                "grade": r["grade"] if _grade_known(r, look, sent) else None,
                "complaint_until": iso(r["complaint_deadline"]),
                "expected_definitive_on": iso(r["establishment_due"]),
                "appeal_until": None,  # only known once the result is definitive
            }
        )
    out.sort(key=lambda n: (n["date"], n["student_number"], n["component_code"], n["association_id"]))
    return out
