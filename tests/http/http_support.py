"""Shared data for the HTTP tests: a small planning on disk, message bodies, a running-server handle."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import httpx

from oke.http.server import ServerThread

DEV = ("dev-client", "dev-secret")


def uid(kind: int, n: int) -> str:
    return str(uuid.UUID(int=(kind << 64) | n, version=4))


COMPONENT = uid(2, 1)
VERSION = uid(3, 1)
OFFERING = uid(5, 1)
OFFERING_EMPTY = uid(5, 2)
STUDENTS = [uid(6, i) for i in range(6)]
ASSOCIATIONS = [uid(7, i) for i in range(6)]
CANCELED = ASSOCIATIONS[5]
UNKNOWN = uid(8, 1)


def write_planning(folder: Path) -> Path:
    """One exam component, one zitting with six deelnames (the last one canceled), one empty zitting."""
    folder.mkdir(parents=True, exist_ok=True)

    def jsonl(name: str, rows: list[dict]) -> None:
        (folder / name).write_text(
            "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8"
        )

    (folder / "institution.json").write_text(
        json.dumps(
            {
                "institution_id": uid(1, 1),
                "name": "ROC Testland",
                "brin": "99XX",
                "policy": "beoordelen",
                "colleges": [{"code": "T", "name": "Techniek", "location": "Utrecht"}],
                "closure_days": [],
                "year_start": "2026-08-01",
                "year_end": "2027-07-31",
            }
        ),
        encoding="utf-8",
    )
    jsonl(
        "programmes.jsonl",
        [{"crebo": "25604", "name": "Technicus", "level": 4, "pathway": "BOL", "college_code": "T"}],
    )
    jsonl(
        "assessors.jsonl",
        [{"assessor_id": uid(4, 1), "assessor_code": "JDV", "name": "J. de Vries", "college_code": "T"}],
    )
    jsonl(
        "components.jsonl",
        [
            {
                "component_id": COMPONENT,
                "code": "NED-2F-LEZ",
                "name": "Nederlands lezen 2F",
                "college_code": "T",
                "result_value_type": "0-100",
                "pass_from": "55",
                "variant": 1,
                "supplier": "intern",
                "cut_score": False,
                "assessor_required": False,
                "versions": [{"exam_version_id": VERSION, "code": "V1", "max_raw_score": 40}],
            }
        ],
    )
    jsonl(
        "offerings.jsonl",
        [
            {
                "offering_id": off,
                "component_id": COMPONENT,
                "exam_version_id": VERSION,
                "name": f"Zitting {i}",
                "start": "2026-09-14T09:00:00Z",
                "end": "2026-09-14T11:00:00Z",
                "location_code": "A1",
                "capacity": 30,
                "period": "P1",
                "state": "active",
            }
            for i, off in enumerate((OFFERING, OFFERING_EMPTY))
        ],
    )
    jsonl(
        "students.jsonl",
        [
            {
                "student_id": s,
                "student_number": f"{500000 + i}",
                "given_name": "Sam",
                "tussenvoegsel": "",
                "family_name": f"Jansen{i}",
                "email": f"s{i}@example.nl",
                "crebo": "25604",
                "cohort": "2026-2027",
                "college_code": "T",
            }
            for i, s in enumerate(STUDENTS)
        ],
    )
    jsonl(
        "associations.jsonl",
        [
            {
                "association_id": a,
                "offering_id": OFFERING,
                "student_id": STUDENTS[i],
                "attempt": 1,
                "original_association_id": None,
                "state": "canceled" if a == CANCELED else "associated",
            }
            for i, a in enumerate(ASSOCIATIONS)
        ],
    )
    return folder


def attendance(date: str = "2026-09-14") -> dict:
    return {
        "associationType": "componentOfferingAssociation",
        "result": {
            "state": "in progress",
            "resultDate": date,
            "weight": 100,
            "consumers": [{"consumerKey": "nl-test-admin", "attendance": "present"}],
        },
    }


def scored(raw: int = 30, date: str = "2026-09-16") -> dict:
    return {
        "associationType": "componentOfferingAssociation",
        "result": {
            "state": "completed",
            "pass": "unknown",
            "score": str(round(raw * 100 / 40)),
            "resultDate": date,
            "weight": 100,
            "consumers": [
                {
                    "consumerKey": "nl-test-admin",
                    "attendance": "present",
                    "rawScore": raw,
                    "maxRawScore": 40,
                    "final": False,
                    "testDate": "2026-09-14T10:45:00Z",
                }
            ],
        },
    }


class Running:
    """A started server plus what tests need to look behind it."""

    def __init__(self, thread: ServerThread, holder, db: str) -> None:
        self.thread = thread
        self.holder = holder
        self.db = db
        self.url = thread.url
        self.http = httpx.Client(base_url=thread.url, timeout=30)

    def token(self, client: tuple[str, str] = DEV) -> str:
        resp = self.http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=client)
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token or self.token()}",
            "Content-Type": "application/merge-patch+json",
        }

    def patch(
        self, path: str, body: dict | bytes | str, token: str | None = None, **headers: str
    ) -> httpx.Response:
        content = body if isinstance(body, bytes | str) else json.dumps(body)
        return self.http.patch(path, content=content, headers={**self.headers(token), **headers})

    @property
    def store(self):
        return self.holder.store


def pg_url() -> str | None:
    return os.environ.get("OKE_TEST_PG_URL")


def add_associations(folder: Path, count: int) -> list[str]:
    """Append `count` more students with a deelname in OFFERING to a planning written by write_planning."""
    students = [uid(9, i) for i in range(count)]
    associations = [uid(10, i) for i in range(count)]
    with (folder / "students.jsonl").open("a", encoding="utf-8") as out:
        for i, s in enumerate(students):
            row = {
                "student_id": s,
                "student_number": f"{600000 + i}",
                "given_name": "Kim",
                "tussenvoegsel": "",
                "family_name": f"Bakker{i}",
                "email": f"k{i}@example.nl",
                "crebo": "25604",
                "cohort": "2026-2027",
                "college_code": "T",
            }
            out.write(json.dumps(row, sort_keys=True) + "\n")
    with (folder / "associations.jsonl").open("a", encoding="utf-8") as out:
        for a, s in zip(associations, students, strict=True):
            row = {
                "association_id": a,
                "offering_id": OFFERING,
                "student_id": s,
                "attempt": 1,
                "original_association_id": None,
                "state": "associated",
            }
            out.write(json.dumps(row, sort_keys=True) + "\n")
    return associations
