"""results.csv: one row per participation KRS knows of, as it stood at the end of a day."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import orjson

from oke_core.reports.lookups import Lookups, iso, status_on
from oke_core.store import Store, models

COLUMNS = (
    "association_id",
    "student_number",
    "component_code",
    "exam_version",
    "attempt",
    "sitting_date",
    "attendance",
    "raw_score",
    "max_raw_score",
    "grade",
    "status",
    "provisional_since",
    "cut_score_known_on",
    "complaint_deadline",
    "definitive_on",
    "appeal_deadline",
    "variant",
)

_ASSOC = re.compile(r"/associations/([^/?#]+)")


def _result_row(r: dict[str, Any], look: Lookups, as_of: date) -> dict[str, Any]:
    status = status_on(r, as_of)
    cut_known = (
        r["cut_score_known_on"] if r["cut_score_known_on"] and r["cut_score_known_on"] <= as_of else None
    )
    needs_cut = bool(look.component(r["component_id"]).get("cut_score_required")) and r["variant"] == 1
    grade = r["grade"]
    if needs_cut and cut_known is None:
        grade = None  # variant 1: no grade before the cut score is known
    definitive_on = r["definitive_on"] if status in ("definitive", "withdrawn") else None
    return {
        "association_id": r["association_id"],
        "student_number": look.student_number(r["student_id"]),
        "component_code": look.component(r["component_id"])["code"],
        "exam_version": (look.versions.get(r["exam_version_id"]) or {}).get("code", ""),
        "attempt": r["attempt"],
        "sitting_date": iso(r["sitting_date"]),
        "attendance": r["attendance"],
        "raw_score": r["raw_score"],
        "max_raw_score": r["max_raw_score"],
        "grade": grade,
        "status": status,
        "provisional_since": iso(r["provisional_since"])
        if r["provisional_since"] and r["provisional_since"] <= as_of
        else None,
        "cut_score_known_on": iso(cut_known),
        "complaint_deadline": iso(r["complaint_deadline"]),
        "definitive_on": iso(definitive_on),
        "appeal_deadline": iso(r["appeal_deadline"]) if definitive_on else None,
        "variant": r["variant"],
    }


def _quarantine_rows(store: Store, look: Lookups, as_of: date) -> dict[str, dict[str, Any]]:
    """Open quarantine items per association (latest wins); rows for registered results are dropped later."""
    parts = {p["association_id"]: p for p in store.rows(models.Participation)}
    rows: dict[str, dict[str, Any]] = {}
    for q in store.rows(models.QuarantineItem):
        if q["status"] != "open" or q["received_at"][:10] > as_of.isoformat():
            continue
        m = _ASSOC.search(q.get("path") or "")
        if not m:
            continue
        aid = m.group(1)
        part = parts.get(aid)
        session = look.sessions.get(part["offering_id"]) if part else None
        comp = look.component(session["component_id"]) if session else {}
        body: Any = None
        try:
            body = orjson.loads(q["body_text"])
        except (orjson.JSONDecodeError, TypeError):
            body = None
        found = body.get("result") if isinstance(body, dict) else None
        result: dict[str, Any] = found if isinstance(found, dict) else {}
        consumer = next((c for c in result.get("consumers") or [] if isinstance(c, dict)), {})
        rows[aid] = {
            "association_id": aid,
            "student_number": look.student_number(part["student_id"]) if part else None,
            "component_code": comp.get("code") if session else None,
            "exam_version": (look.versions.get(session["exam_version_id"]) or {}).get("code")
            if session
            else None,
            "attempt": part["attempt"] if part else None,
            "sitting_date": iso(session["sitting_date"]) if session else None,
            "attendance": consumer.get("attendance") if isinstance(consumer.get("attendance"), str) else None,
            "raw_score": consumer.get("rawScore") if isinstance(consumer.get("rawScore"), int) else None,
            "max_raw_score": consumer.get("maxRawScore")
            if isinstance(consumer.get("maxRawScore"), int)
            else None,
            "grade": None,
            "status": "quarantined",
            "variant": comp.get("variant") if session else None,
        }
    return rows


def results_rows(store: Store, as_of: date | None = None) -> Iterator[dict[str, Any]]:
    """Rows of results.csv in association-id order; ``as_of`` None means the store's latest state.

    Results stream from the store in key order; the (few) quarantined participations without a
    registered result are merged in.
    """
    look = Lookups.load(store)
    day = as_of or date.max
    pending = sorted(_quarantine_rows(store, look, day).items())
    i = 0
    for r in store.rows(models.Result):
        if r["received_on"] > day:
            continue
        aid = r["association_id"]
        while i < len(pending) and pending[i][0] < aid:
            yield {c: pending[i][1].get(c) for c in COLUMNS}
            i += 1
        if i < len(pending) and pending[i][0] == aid:
            i += 1  # the result is registered; its quarantined delivery is in quarantine.jsonl
        row = _result_row(r, look, day)
        yield {c: row.get(c) for c in COLUMNS}
    for _aid, row in pending[i:]:
        yield {c: row.get(c) for c in COLUMNS}
