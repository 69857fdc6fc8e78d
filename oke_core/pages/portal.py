"""Studentenportaal: what each student sees on a chosen day.

Renders `oke_core.reports.portal_view(...)`. The page never presents a result as definitive
unless the data says so: a provisional result shows its provisional grade (or that the grade
waits for the cut score) and the dates that apply to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oke_core.pages.dates import as_date
from oke_core.pages.labels import NOT_ATTENDED, NOT_ATTENDED_WHY
from oke_core.pages.render import css, environment


def result_view(result: dict, day: str) -> dict[str, Any]:
    """One result with the sentences the student reads, relative to the day shown."""
    today = as_date(day)
    status = result.get("status")
    definitive = status == "definitief"
    view = dict(result)
    view["definitive"] = definitive
    view["status_label"] = "definitief" if definitive else "voorlopig"
    view["grade_missing"] = result.get("grade") in (None, "")
    # no grade because the student did not sit (or finish) the exam: say so, not "no grade yet"
    attendance = (result.get("attendance") or "") if view["grade_missing"] else ""
    view["not_attended"] = NOT_ATTENDED.get(attendance)
    view["not_attended_why"] = NOT_ATTENDED_WHY.get(attendance)
    # A provisional result never shows a definitive date: only when it is expected to become one.
    view["expected_definitive_on"] = (
        None if definitive else (result.get("expected_definitive_on") or result.get("definitive_on"))
    )
    view.setdefault("score", None)
    view.setdefault("cases", [])  # portal data of older releases has none

    def passed(key: str) -> bool:
        d = as_date(result.get(key))
        return d is not None and today is not None and d < today

    view["complaint_closed"] = passed("complaint_until")
    expected = as_date(view["expected_definitive_on"])
    complaint = as_date(result.get("complaint_until"))
    # Establishment waits for the complaint window; never promise a date inside it.
    view["after_complaint_window"] = bool(expected and complaint and expected <= complaint and not definitive)
    view["definitive_overdue"] = expected is not None and today is not None and expected < today
    view["appeal_closed"] = passed("appeal_until")
    return view


def portal_context(portal: dict, student_number: str | None = None) -> dict[str, Any]:
    students = portal.get("students", [])
    if student_number is not None:
        students = [s for s in students if str(s["student_number"]) == str(student_number)]
        if not students:
            raise ValueError(f"student {student_number!r} not in the portal data of {portal['day']}")
    return {"p": portal, "students": students, "single": student_number is not None}


def _student_iter(students: list[dict], day: str):  # type: ignore[no-untyped-def]
    """Students one at a time, so thousands of cards never sit in memory as view dicts."""
    for s in students:
        results = [result_view(r, day) for r in s.get("results", [])]
        yield {
            "student_number": s["student_number"],
            "name": s.get("name", ""),
            "results": results,
            "n_definitive": sum(1 for r in results if r["definitive"]),
        }


def render_portal(portal: dict, out_dir: Path | str, student_number: str | None = None) -> Path:
    """Write pages/studentenportaal-<day>.html (all students) or ...-<day>-<student_number>.html."""
    context = portal_context(portal, student_number)
    name = f"studentenportaal-{portal['day']}" + (f"-{student_number}" if student_number else "") + ".html"
    path = Path(out_dir) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    template = environment().get_template("studentenportaal.html.j2")
    stream = template.generate(
        css=css(),
        p=portal,
        single=context["single"],
        n_students=len(context["students"]),
        students=_student_iter(context["students"], portal["day"]),
    )
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for chunk in stream:
            fh.write(chunk)
    return path
