"""Tiny hand-made planning and flow-3/4 messages for the core tests (no simulator involved)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path, columns: int = 120) -> subprocess.CompletedProcess[str]:
    """``oke ARGS`` in a fresh process, as a user runs it (exit code, stdout, stderr)."""
    return subprocess.run(
        [sys.executable, "-m", "oke.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "COLUMNS": str(columns)},
        timeout=120,
    )


def uid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


INSTITUTION = uid(1)
STUDENTS = [uid(100 + i) for i in range(4)]
ASSESSOR = uid(200)
C_V1 = uid(300)  # variant 1, cut score, 0.0-10.0, assessor required
C_V2 = uid(301)  # variant 2 (CEM), cut score, 0.0-10.0
C_PF = uid(302)  # variant 1, no cut score, pass-or-fail
EV_V1, EV_V2, EV_PF = uid(400), uid(401), uid(402)
O_V1, O_V2, O_PF = uid(500), uid(501), uid(502)
MAX_RAW = 60


def assoc_id(student: int, offering: str) -> str:
    return uid(600 + 10 * student + [O_V1, O_V2, O_PF].index(offering))


@dataclass
class World:
    closure_days: list[str] = field(default_factory=lambda: ["2026-10-19"])
    policy: str = "eduarte"
    drop_associations: set[str] = field(default_factory=set)

    def write(self, root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        inst = {
            "institution_id": INSTITUTION,
            "name": "ROC Testland",
            "brin": "99XX",
            "policy": self.policy,
            "colleges": [{"code": "TL", "name": "College Testland", "location": "Utrecht"}],
            "closure_days": self.closure_days,
            "year_start": "2026-08-01",
            "year_end": "2027-07-31",
        }
        (root / "institution.json").write_bytes(orjson.dumps(inst, option=orjson.OPT_SORT_KEYS))
        students = [
            {
                "student_id": s,
                "student_number": f"{500000 + i}",
                "given_name": f"Student{i}",
                "tussenvoegsel": "",
                "family_name": "Jansen",
                "email": f"s{i}@example.nl",
                "crebo": "25604",
                "cohort": "2026-2027",
                "college_code": "TL",
            }
            for i, s in enumerate(STUDENTS)
        ]
        comps = [
            {
                "component_id": C_V1,
                "code": "NED-2F-LEZ",
                "name": "Nederlands lezen",
                "college_code": "TL",
                "result_value_type": "0.0-10.0",
                "pass_from": "5.5",
                "variant": 1,
                "supplier": "intern",
                "cut_score": True,
                "assessor_required": True,
                "versions": [{"exam_version_id": EV_V1, "code": "NED-LEZ-A", "max_raw_score": MAX_RAW}],
            },
            {
                "component_id": C_V2,
                "code": "REK-2F",
                "name": "Rekenen",
                "college_code": "TL",
                "result_value_type": "0.0-10.0",
                "pass_from": "5.5",
                "variant": 2,
                "supplier": "CEM",
                "cut_score": True,
                "assessor_required": False,
                "versions": [{"exam_version_id": EV_V2, "code": "REK-A", "max_raw_score": MAX_RAW}],
            },
            {
                "component_id": C_PF,
                "code": "PRAK-1",
                "name": "Praktijkexamen",
                "college_code": "TL",
                "result_value_type": "pass-or-fail",
                "pass_from": "passed",
                "variant": 1,
                "supplier": "intern",
                "cut_score": False,
                "assessor_required": False,
                "versions": [{"exam_version_id": EV_PF, "code": "PRAK-A", "max_raw_score": 10}],
            },
        ]
        offerings = [
            {
                "offering_id": o,
                "component_id": c,
                "exam_version_id": v,
                "name": f"Zitting {n}",
                "start": f"2026-09-14T{8 + n:02d}:00:00Z",
                "end": f"2026-09-14T{12 + n:02d}:00:00Z",
                "location_code": "A1",
                "capacity": 30,
                "period": "P1",
                "state": "active",
            }
            for n, (o, c, v) in enumerate([(O_V1, C_V1, EV_V1), (O_V2, C_V2, EV_V2), (O_PF, C_PF, EV_PF)])
        ]
        assocs = [
            {
                "association_id": assoc_id(i, o),
                "offering_id": o,
                "student_id": s,
                "attempt": 1,
                "original_association_id": None,
                "state": "associated",
            }
            for i, s in enumerate(STUDENTS)
            for o in (O_V1, O_V2, O_PF)
        ]
        assocs = [a for a in assocs if a["association_id"] not in self.drop_associations]
        for name, rows in (
            ("students", students),
            ("components", comps),
            ("offerings", offerings),
            ("associations", assocs),
            (
                "assessors",
                [
                    {
                        "assessor_id": ASSESSOR,
                        "assessor_code": "JDV",
                        "name": "J. de Vries",
                        "college_code": "TL",
                    }
                ],
            ),
        ):
            (root / f"{name}.jsonl").write_bytes(
                b"".join(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) + b"\n" for r in rows)
            )
        return root


def student_of(association_id: str) -> str:
    n = int(association_id[-12:]) - 600
    return STUDENTS[n // 10]


def offering_of(association_id: str) -> str:
    n = int(association_id[-12:]) - 600
    return [O_V1, O_V2, O_PF][n % 10]


def attendance_body(aid: str, attendance: str = "present", result_date: str = "2026-09-14") -> dict[str, Any]:
    return {
        "associationType": "componentOfferingAssociation",
        "person": student_of(aid),
        "offering": offering_of(aid),
        "result": {
            "state": "in progress",
            "resultDate": result_date,
            "weight": 100,
            "consumers": [{"consumerKey": "nl-test-admin", "attendance": attendance}],
        },
    }


def scored_body(
    aid: str,
    raw: int = 40,
    score: str = "7.0",
    result_date: str = "2026-09-16",
    final: bool = False,
    max_raw: int = MAX_RAW,
    irregularities: str | None = None,
    assessor: bool = True,
    person: str | None = None,
    offering: str | None = None,
) -> dict[str, Any]:
    consumer: dict[str, Any] = {
        "consumerKey": "nl-test-admin",
        "attendance": "present",
        "rawScore": raw,
        "maxRawScore": max_raw,
        "final": final,
        "testDate": "2026-09-14T10:00:00Z",
    }
    if assessor:
        consumer.update(assessorId=ASSESSOR, assessorCode="JDV")
    if irregularities:
        consumer["irregularities"] = irregularities
    passed = (
        "passed" if score not in ("failed",) and (not score[0].isdigit() or float(score) >= 5.5) else "failed"
    )
    return {
        "associationType": "componentOfferingAssociation",
        "person": person or student_of(aid),
        "offering": offering or offering_of(aid),
        "result": {
            "state": "completed",
            "pass": passed,
            "score": score,
            "resultDate": result_date,
            "weight": 100,
            "consumers": [consumer],
        },
    }


def pf_body(aid: str, passed: bool = True) -> dict[str, Any]:
    body = scored_body(aid, raw=8 if passed else 3, max_raw=10, score="passed" if passed else "failed")
    return body


def env(mid: str, sent_at: str, aid: str, body: Any, method: str = "PATCH") -> dict[str, Any]:
    return {
        "message_id": mid,
        "sent_at": sent_at,
        "method": method,
        "path": f"/associations/{aid}",
        "body": body,
    }


def text_env(mid: str, sent_at: str, aid: str, text: str) -> dict[str, Any]:
    return {
        "message_id": mid,
        "sent_at": sent_at,
        "method": "PATCH",
        "path": f"/associations/{aid}",
        "body_text": text,
    }


def session_report_env(mid: str, sent_at: str, offering: str, irregularities: str) -> dict[str, Any]:
    body = {
        "offeringType": "component",
        "consumers": [
            {
                "consumerKey": "nl-test-admin",
                "offeringState": "active",
                "irregularities": irregularities,
                "documents": [
                    {"documentId": uid(900), "documentType": "sessionReport", "documentName": "pv.pdf"}
                ],
            }
        ],
    }
    return {
        "message_id": mid,
        "sent_at": sent_at,
        "method": "PATCH",
        "path": f"/offerings/{offering}",
        "body": body,
    }


KINDS = [
    "attendance",
    "scored",
    "correction",
    "duplicate",
    "broken",
    "invalid",
    "unknown",
    "wrong-student",
    "wrong-component",
    "report",
]


def message_plans(max_size: int = 40) -> Any:
    """Hypothesis: plans for ``message_stream`` (kind, student, offering, raw score, day)."""
    from hypothesis import strategies as st

    return st.lists(
        st.tuples(
            st.sampled_from(KINDS),
            st.integers(0, 3),
            st.sampled_from([O_V1, O_V2, O_PF]),
            st.integers(0, 60),
            st.integers(0, 5),
        ),
        max_size=max_size,
    )


def message_stream(plan: list[tuple[str, int, str, int, int]]) -> list[dict[str, Any]]:
    """Envelopes of every kind the ingest distinguishes, in the order of ``plan``."""
    msgs: list[dict[str, Any]] = []
    for i, (kind, student, offering, raw, day) in enumerate(plan):
        aid = assoc_id(student, offering)
        at = f"2026-09-{15 + day:02d}T1{i % 10}:00:00Z"
        body = (
            scored_body(aid, raw=raw, score="7.0")
            if offering != O_PF
            else scored_body(aid, raw=min(raw, 10), max_raw=10, score="passed")
        )
        if kind == "attendance":
            msgs.append(env(f"m{i}", at, aid, attendance_body(aid)))
        elif kind in ("scored", "correction"):
            msgs.append(env(f"m{i}", at, aid, body))
        elif kind == "duplicate" and msgs:
            msgs.append(msgs[-1])
        elif kind == "broken":
            msgs.append(text_env(f"m{i}", at, aid, '{"result": '))
        elif kind == "invalid":
            body["result"]["state"] = "done"
            msgs.append(env(f"m{i}", at, aid, body))
        elif kind == "unknown":
            msgs.append(env(f"m{i}", at, "00000000-0000-4000-8000-000000099999", body))
        elif kind == "wrong-student":
            msgs.append(env(f"m{i}", at, aid, scored_body(aid, person=STUDENTS[(student + 1) % 4])))
        elif kind == "wrong-component":
            msgs.append(env(f"m{i}", at, aid, scored_body(aid, offering=O_V2 if offering != O_V2 else O_V1)))
        else:
            msgs.append(session_report_env(f"m{i}", at, offering, "storing"))
    return msgs
