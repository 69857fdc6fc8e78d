"""The small planning tables every report needs, read once from the store into plain dicts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from oke_core.calendar import WorkingDays, local_date
from oke_core.lifecycle import ESTABLISHED, Status
from oke_core.store import Store, models

#: The four values of results.csv ``status`` (documented in docs/rehearse.md).
CSV_STATUSES = ("provisional", "definitive", "withdrawn", "quarantined")


@dataclass
class Lookups:
    institution: dict[str, Any]
    students: dict[str, dict[str, Any]]
    components: dict[str, dict[str, Any]]
    versions: dict[str, dict[str, Any]]
    sessions: dict[str, dict[str, Any]]
    calendar: WorkingDays

    @classmethod
    def load(cls, store: Store) -> Lookups:
        institution = next(store.rows(models.Institution), None) or {"name": "", "closure_days": "[]"}
        closure = [date.fromisoformat(d) for d in json.loads(institution.get("closure_days") or "[]")]
        return cls(
            institution=institution,
            students={r["student_id"]: r for r in store.rows(models.Student)},
            components={r["component_id"]: r for r in store.rows(models.ExamComponent)},
            versions={r["exam_version_id"]: r for r in store.rows(models.ExamVersion)},
            sessions={r["offering_id"]: r for r in store.rows(models.ExamSession)},
            calendar=WorkingDays(closure),
        )

    def student_name(self, student_id: str) -> str:
        s = self.students.get(student_id) or {}
        parts = [s.get("given_name", ""), s.get("tussenvoegsel", ""), s.get("family_name", "")]
        return " ".join(p for p in parts if p)

    def student_number(self, student_id: str) -> str:
        return (self.students.get(student_id) or {}).get("student_number", "")

    def component(self, component_id: str) -> dict[str, Any]:
        return self.components.get(component_id) or {
            "code": "",
            "name": "",
            "college_code": "",
            "variant": None,
            "supplier": "onbekend",
        }


def iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def inspection_closes(row: dict[str, Any]) -> date | None:
    """When an inspection of this result is over. It has no decision event: it ends with the
    complaint window or, without one, with the provisional phase."""
    return row["complaint_deadline"] or row["definitive_on"]


def day_of(moment: str | None) -> date | None:
    """The Dutch calendar date of a stored RFC 3339 moment."""
    return local_date(moment) if moment else None


def status_on(row: dict[str, Any], day: date) -> str:
    """The results.csv status of a result row as it stood at the end of ``day``."""
    status = row["status"]
    withdrawn_on, definitive_on = row.get("withdrawn_on"), row.get("definitive_on")
    if status == Status.WITHDRAWN and withdrawn_on is not None and withdrawn_on <= day:
        return "withdrawn"
    if (
        definitive_on is not None
        and definitive_on <= day
        and (status in ESTABLISHED or status == Status.WITHDRAWN)
    ):
        return "definitive"
    return "provisional"


def known_on(row: dict[str, Any], day: date) -> bool:
    """Whether KRS had registered the result by the end of ``day``."""
    return row["received_on"] <= day
