"""Hand-made report data that follows INTERFACES.md section 11 exactly.

Used for the fast unit tests (escaping, determinism, Dutch dates); the page tests proper render
data from a real rehearsal run (see conftest.py).
"""

from __future__ import annotations

from datetime import date, timedelta


def _days(start: date, n: int) -> list[str]:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d.isoformat())
        d += timedelta(days=1)
    return out


def compliance() -> dict:
    days = _days(date(2026, 9, 14), 30)
    return {
        "scenario": "variant1-baseline",
        "seed": 42,
        "policy": "beoordelen",
        "as_of": "2026-11-30",
        "institution": {"name": "ROC <Voorbeeld> & Co"},
        "totals": {
            "messages": 1250,
            "applied": 1180,
            "duplicates": 40,
            "quarantined": 30,
            "results": 1100,
            "provisional": 300,
            "definitive": 790,
            "withdrawn": 10,
        },
        "quarantine_reasons": {"invalid": 18, "json-syntax": 5, "unknown-association": 7},
        "periods": [
            {
                "period": "P1",
                "from": "2026-09-01",
                "to": "2026-11-13",
                "by_college": [
                    {
                        "college_code": "ZORG",
                        "college_name": "College Zorg & Welzijn",
                        "results": 600,
                        "provisional": 150,
                        "definitive": 445,
                        "passed": 400,
                        "failed": 195,
                        "no_outcome": 5,
                    },
                    {
                        "college_code": "TECH",
                        "college_name": "College Techniek",
                        "results": 500,
                        "provisional": 150,
                        "definitive": 345,
                        "passed": 300,
                        "failed": 190,
                        "no_outcome": 10,
                    },
                ],
                "by_component": [
                    {
                        "component_code": "NED-2F-LEZ",
                        "component_name": "Nederlands lezen 2F",
                        "college_code": "ZORG",
                        "variant": 2,
                        "results": 600,
                        "provisional": 150,
                        "definitive": 445,
                        "passed": 400,
                        "failed": 195,
                        "no_outcome": 5,
                        "mean_grade": 6.42,
                    },
                    {
                        "component_code": "BPV-TECH",
                        "component_name": "Proeve van bekwaamheid",
                        "college_code": "TECH",
                        "variant": 1,
                        "results": 500,
                        "provisional": 150,
                        "definitive": 345,
                        "passed": 300,
                        "failed": 190,
                        "no_outcome": 10,
                        "mean_grade": 6.9,
                    },
                ],
            },
        ],
        "status_over_time": [
            {"date": d, "provisional": min(300, 20 * i), "definitive": max(0, 30 * (i - 8))}
            for i, d in enumerate(days)
        ],
        "cut_scores": [
            {
                "exam_version": "NED-2F-LEZ-v1",
                "component_code": "NED-2F-LEZ",
                "cut_score": 31,
                "max_raw_score": 50,
                "released_on": "2026-10-02",
                "released_by": "CvTE",
                "first_sitting": "2026-09-15",
                "working_days_after_first_sitting": 13,
                "late": False,
            },
            {
                "exam_version": "BPV-TECH-v2",
                "component_code": "BPV-TECH",
                "cut_score": None,
                "max_raw_score": 80,
                "released_on": None,
                "released_by": None,
                "first_sitting": "2026-09-21",
                "working_days_after_first_sitting": None,
                "late": False,
            },
        ],
        "deadlines": {
            "marking": {
                "deadline_working_days": 5,
                "total": 1100,
                "on_time": 1010,
                "late": 90,
                "share_on_time": 0.9182,
            },
            "import": {
                "deadline_working_days": 2,
                "total": 1090,
                "on_time": 1075,
                "late": 15,
                "share_on_time": 0.9862,
            },
            "establishment": {
                "deadline_working_days": 30,
                "total": 790,
                "on_time": 770,
                "late": 20,
                "share_on_time": 0.9747,
            },
        },
        "cases": {
            "inspections": {
                "filed": 25,
                "decided": 25,
                "upheld": 0,
                "rejected": 0,
                "inadmissible": 0,
                "open": 0,
                "on_time": 25,
                "median_working_days": 3,
            },
            "complaints": {
                "filed": 12,
                "decided": 10,
                "upheld": 3,
                "rejected": 6,
                "inadmissible": 1,
                "open": 2,
                "on_time": 9,
                "median_working_days": 6.5,
            },
            "appeals": {
                "filed": 2,
                "decided": 1,
                "upheld": 0,
                "rejected": 1,
                "inadmissible": 0,
                "open": 1,
                "on_time": 1,
                "median_working_days": 12,
            },
            "corrections": 4,
        },
        "deviations": [
            {"kind": "irregularity", "count": 3, "examples": ["Jantje heeft <b>gespiekt</b>."]},
            {
                "kind": "illegal_transition",
                "count": 1,
                "examples": [{"association_id": "a-1", "from": "definitief"}],
            },
        ],
        "annual_evaluation": {
            "results": 1100,
            "corrections": 4,
            "complaints": 12,
            "appeals": 2,
            "share_marking_on_time": 0.9182,
            "share_import_on_time": 0.9862,
            "share_established_on_time": 0.9747,
            "quarantine_share": 0.024,
        },
    }


def daily_control() -> dict:
    days = _days(date(2026, 9, 14), 12)
    return {
        "day": days[-1],
        "errors": [
            {
                "at": days[-1] + "T10:02:03Z",
                "level": "error",
                "event": "quarantined",
                "message_id": "m-00000042",
                "association_id": "6f1c0000-0000-4000-8000-000000000001",
                "detail": "raw-score-above-max: rawScore 55 > maxRawScore 50 <script>x</script>",
            }
        ],
        "missing_results": [
            {
                "association_id": "6f1c0000-0000-4000-8000-000000000002",
                "student_number": "1234567",
                "component_code": "NED-2F-LEZ",
                "sitting_date": days[0],
                "expected_by": days[7],
                "working_days_overdue": 4,
                "supplier": "CEM",
            }
        ],
        "breaches": [
            {
                "kind": "marking",
                "association_id": "6f1c0000-0000-4000-8000-000000000003",
                "component_code": "BPV-TECH",
                "deadline": days[6],
                "actual": days[9],
            }
        ],
        "actions": [
            {"supplier": "CEM", "text": "Vraag het ontbrekende resultaat van 1234567 (NED-2F-LEZ) op."}
        ],
        "trend": [
            {"date": d, "received": 10 + i, "errors": i % 3, "missing": max(0, i - 6), "breaches": i // 5}
            for i, d in enumerate(days)
        ],
    }


def portal() -> dict:
    return {
        "day": "2026-10-05",
        "students": [
            {
                "student_number": "1234567",
                "name": "Sanne de Vries",
                "results": [
                    {
                        "component_code": "NED-2F-LEZ",
                        "component_name": "Nederlands lezen 2F",
                        "attempt": 1,
                        "sitting_date": "2026-09-14",
                        "status": "definitief",
                        "grade": "6.8",
                        "complaint_until": "2026-09-28",
                        "definitive_on": "2026-10-02",
                        "appeal_until": "2026-10-16",
                        "cases": [{"kind": "Klacht", "filed_on": "2026-10-05", "state": "niet-ontvankelijk"}],
                    },
                    {
                        "component_code": "BPV-TECH",
                        "component_name": "Proeve <van> bekwaamheid",
                        "attempt": 2,
                        "sitting_date": "2026-09-21",
                        "status": "voorlopig",
                        "grade": None,
                        "complaint_until": None,
                        "definitive_on": None,
                        "appeal_until": None,
                    },
                ],
            },
            {
                "student_number": "7654321",
                "name": "Mohammed el Amrani",
                "results": [
                    {
                        "component_code": "NED-2F-LEZ",
                        "component_name": "Nederlands lezen 2F",
                        "attempt": 1,
                        "sitting_date": "2026-09-14",
                        "status": "voorlopig",
                        "grade": "5.4",
                        "complaint_until": "2026-10-12",
                        "definitive_on": "2026-10-26",
                        "appeal_until": None,
                        "cases": [{"kind": "Klacht", "filed_on": "2026-09-30", "state": "in behandeling"}],
                    }
                ],
            },
        ],
    }


def trace(variant: int = 1) -> dict:
    aid = f"6f1c0000-0000-4000-8000-00000000000{variant}"
    steps = [
        {"step": "sitting", "date": "2026-09-14", "actor": "TA", "detail": "Afname in zitting NED-P1-01"},
        {
            "step": "marking",
            "date": "2026-09-17",
            "actor": "examinator JDV",
            "detail": "ruwe score 34 van 50",
        },
        {"step": "flow3", "date": "2026-09-18", "actor": "TA", "detail": "PATCH /associations/" + aid},
        {"step": "validation", "date": "2026-09-18", "actor": "KRS", "detail": "geldig"},
        {"step": "provisional", "date": "2026-09-18", "actor": "KRS", "detail": "voorlopig 68%"},
    ]
    if variant == 1:
        steps += [
            {"step": "cut_score", "date": "2026-10-01", "actor": "examencommissie", "detail": "cesuur 31"},
            {"step": "definitive", "date": "2026-10-02", "actor": "KRS", "detail": "cijfer 6,4"},
        ]
    else:
        steps += [{"step": "definitive", "date": "2026-09-25", "actor": "CEM", "detail": "final=true, 6,4"}]
    steps.append({"step": "appeal_window", "date": "2026-10-16", "actor": "CBE", "detail": "beroepstermijn"})
    return {
        "association_id": aid,
        "variant": variant,
        "student": {"student_number": "1234567", "name": "Sanne de Vries"},
        "component": {"code": "NED-2F-LEZ", "name": "Nederlands lezen 2F"},
        "steps": steps,
        "log": [
            {
                "at": "2026-09-18T10:02:03Z",
                "level": "info",
                "event": "applied",
                "message_id": "m-00000042",
                "detail": "versie 1, voorlopig",
            }
        ],
        "deadlines": [
            {"name": "marking", "date": "2026-09-21", "working_days": 5},
            {"name": "import", "date": "2026-09-23", "working_days": 2},
        ],
    }


def notifications(template: str) -> list[dict]:
    return [
        {
            "notification_id": "6f1c0000-0000-4000-8000-000000000001-v1",
            "association_id": "6f1c0000-0000-4000-8000-000000000001",
            "student_number": "1234567",
            "name": "Sanne de Vries",
            "email": "sanne.devries@student.example",
            "component_code": "NED-2F-LEZ",
            "component_name": "Nederlands lezen 2F",
            "attempt": 1,
            "grade": "6.8",
            "registered_on": "2026-09-18",
            "complaint_until": "2026-10-02",
            "definitive_on": "2026-10-09",
            "appeal_until": "2026-10-23",
            "template": template,
        },
    ]
