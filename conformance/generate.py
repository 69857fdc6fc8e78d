"""Write the conformance pack (messages/ + manifest.yaml) from the declarations below.

The expected outcome of every message is declared here by hand from the OKE sources, never
computed by the validator, so the pack can catch a validator that drifts. Run from the repo root:
`.venv/bin/python conformance/generate.py` (rewrites conformance/messages and manifest.yaml).
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

A_ID = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"  # association (deelname) at TPL
A_CTX = "0b7e6a53-3c1f-4f7e-9a55-2f8d3c1b9e01"  # association with exam context (see context.yaml)
A_RKTR = "9d2f4e61-7a8b-4c3d-b2e1-5f6a7b8c9d0e"
A_PASS = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
A_NEW = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"  # new association of an extra attempt (PUT)
A_ORG = "e1f2a3b4-c5d6-4e7f-9a0b-1c2d3e4f5a6b"  # original toetsinschrijving
OFFERING = "4b5c6d7e-8f90-4a1b-9c2d-3e4f5a6b7c8d"
PERSON = "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
DOC = "dfc9d973-42cf-46f3-bd18-f9b50492cdb5"

ATTENDANCE_ONLY = {  # Fig 3.3.5 / MD 3.2.A: no weight
    "associationType": "componentOfferingAssociation",
    "result": {
        "state": "in progress",
        "resultDate": "2026-09-14",
        "consumers": [{"consumerKey": "nl-test-admin", "attendance": "present"}],
    },
}
SCORED = {  # Fig 3.3.6 / MD 3.1 with the date-time testDate corrected
    "associationType": "componentOfferingAssociation",
    "result": {
        "state": "completed",
        "pass": "passed",
        "comment": "Goed gemaakt.",
        "score": "7.5",
        "resultDate": "2026-09-21",
        "weight": 100,
        "consumers": [
            {
                "consumerKey": "nl-test-admin",
                "attendance": "present",
                "assessorId": "05035972-0619-4d0b-8a09-7bdb6eee5e6d",
                "assessorCode": "JAJE",
                "irregularities": "Jantje heeft gespiekt.",
                "final": False,
                "rawScore": 31,
                "maxRawScore": 40,
                "testDate": "2026-09-14T10:30:00+02:00",
                "documents": [
                    {
                        "documentId": DOC,
                        "documentType": "assessmentForm",
                        "documentName": "Beoordelingsformulier.pdf",
                    },
                ],
            }
        ],
    },
}
SESSION_REPORT = {  # Fig 3.4.4
    "offeringType": "component",
    "consumers": [
        {
            "consumerKey": "nl-test-admin",
            "offeringState": "active",
            "irregularities": "Brandalarm om 10:15, zitting 20 minuten verlengd.",
            "documents": [
                {
                    "documentId": DOC,
                    "documentType": "sessionReport",
                    "documentName": "Proces-verbaal zitting.pdf",
                },
            ],
        }
    ],
}
FLOW5_CONSUMERS = [{"consumerKey": "nl-test-admin", "attempt": 1, "orgAssociationId": A_ORG}]


def flow5(base: dict) -> dict:
    body = copy.deepcopy(base)
    body["consumers"] = copy.deepcopy(FLOW5_CONSUMERS)
    body["result"]["consumers"][0]["executedOfferingName"] = "Nederlands 2F lezen, zitting 14-09 ochtend"
    body["result"]["consumers"][0]["testDate"] = "2026-09-14T10:30:00+02:00"
    return body


FLOW5_ATTENDANCE = flow5(ATTENDANCE_ONLY)
FLOW5_SCORED = flow5(SCORED)
PUT_BODY = {
    "associationId": A_NEW,
    "associationType": "componentOfferingAssociation",
    "role": "student",
    "state": "associated",
    "person": PERSON,
    "offering": OFFERING,
    "consumers": [{"consumerKey": "nl-test-admin", "attempt": 2, "orgAssociationId": A_ORG}],
    "result": copy.deepcopy(FLOW5_SCORED["result"]),
}

PACK: list[dict] = []


def _set(body: dict, path: str, value: object) -> None:
    *parents, last = path.strip("/").split("/")
    node: object = body
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]  # type: ignore[index]
    if value is _DELETE:
        del node[int(last) if isinstance(node, list) else last]  # type: ignore[arg-type]
    elif isinstance(node, list):
        if int(last) == len(node):
            node.append(value)
        else:
            node[int(last)] = value
    else:
        node[last] = value  # type: ignore[index]


_DELETE = object()


def add(
    name: str,
    flow: int | None,
    description: str,
    source: str,
    *,
    base: dict | None = None,
    changes: dict | None = None,
    raw: str | None = None,
    method: str | None = None,
    path: str | None = None,
    envelope: bool = False,
    errors: list | None = None,
    warnings: list | None = None,
    context: str | None = None,
) -> None:
    entry: dict = {
        "file": f"messages/{name}.json",
        "flow": flow,
        "description": description,
        "source": source,
    }
    if raw is not None:
        entry["kind"] = "raw"
        entry["content"] = raw
    else:
        body = copy.deepcopy(base)
        for p, v in (changes or {}).items():
            _set(body, p, v)
        if envelope:
            entry["kind"] = "envelope"
            entry["content"] = {"method": method, "path": path, "body": body}
        else:
            entry["kind"] = "body"
            entry["content"] = body
    if method is None:
        method = "PUT" if base is PUT_BODY else "PATCH"
    if path is None:
        path = {3: f"/associations/{A_ID}", 4: f"/offerings/{OFFERING}", 5: f"/associations/{A_ORG}"}[
            flow or 3
        ]
        if base is PUT_BODY:
            path = f"/associations/{A_NEW}"
    entry["method"] = method
    entry["path"] = path
    if context:
        entry["context"] = context
    errors = errors or []
    entry["expect"] = {
        "valid": not errors,
        "errors": [{"code": c, "pointer": p} for c, p in errors],
        "warnings": [{"code": c, "pointer": p} for c, p in (warnings or [])],
    }
    PACK.append(entry)


C0 = "/result/consumers/0"
D = _DELETE

# ---- flow 3: valid ----------------------------------------------------------------------------
add(
    "f3-valid-attendance-only",
    3,
    "Attendance only (Fig 3.3.5): state 'in progress', no weight",
    "PDF Fig 3.3.5",
    base=ATTENDANCE_ONLY,
)
add(
    "f3-valid-scored",
    3,
    "Scored result (Fig 3.3.6) with assessor, raw score, testDate and a document",
    "PDF Fig 3.3.6",
    base=SCORED,
)
add(
    "f3-valid-not-present",
    3,
    "Completed result of a participant who did not show up: no score",
    "PDF Tabel 4.3.E",
    base=ATTENDANCE_ONLY,
    changes={"/result/state": "completed", "/result/pass": "failed", f"{C0}/attendance": "notPresent"},
)
add(
    "f3-valid-not-known",
    3,
    "Attendance notKnown while the sitting has not started",
    "PDF Tabel 4.3.E",
    base=ATTENDANCE_ONLY,
    changes={f"{C0}/attendance": "notKnown"},
)
add(
    "f3-valid-not-started",
    3,
    "Attendance notStarted, state queued",
    "PDF Tabel 4.3.E, 4.3.D",
    base=ATTENDANCE_ONLY,
    changes={f"{C0}/attendance": "notStarted", "/result/state": "queued"},
)
add(
    "f3-valid-not-finished-scored",
    3,
    "notFinished with a (low) score and pass unknown, state postponed",
    "PDF Tabel 4.3.E, 4.3.D",
    base=SCORED,
    changes={
        f"{C0}/attendance": "notFinished",
        "/result/state": "postponed",
        "/result/pass": "unknown",
        "/result/score": "2.0",
        f"{C0}/rawScore": 4,
    },
)
add(
    "f3-valid-final",
    3,
    "Final (definitief) completed result",
    "PDF Tabel 4.3.D",
    base=SCORED,
    changes={f"{C0}/final": True},
)
add(
    "f3-valid-other-consumer",
    3,
    "Another consumer's block next to nl-test-admin is passed on unjudged",
    "YAML ConsumerOnResult (anyOf generic Consumer)",
    base=SCORED,
    changes={"/result/consumers/1": {"consumerKey": "other-vendor", "attendance": 42, "anything": [1, 2]}},
)
add(
    "f3-valid-null-clears",
    3,
    "PATCH null clears optional fields (comment, irregularities, final)",
    "PDF ch. 4 intro (PATCH)",
    base=SCORED,
    changes={"/result/comment": None, f"{C0}/irregularities": None, f"{C0}/final": None},
)
add(
    "f3-valid-superfluous-fields",
    3,
    "Superfluous Association fields (person, offering, role, state) are ignored",
    "PDF §3.3.3; INTERFACES.md 10",
    base=SCORED,
    changes={"/person": PERSON, "/offering": OFFERING, "/role": "student", "/state": "finished"},
)
add(
    "f3-valid-all-document-types",
    3,
    "Every flow-3 documentType",
    "PDF Tabel 4.6.B",
    base=SCORED,
    changes={
        f"{C0}/documents": [
            {"documentId": DOC, "documentType": t, "documentName": f"{t}.pdf"}
            for t in ("assessmentForm", "assessmentFormWithAnswers", "assessmentModel", "other")
        ]
    },
)
add(
    "f3-valid-score-context",
    3,
    "Score fits the exam's result value type 0.0-10.0, assessor and maximum match",
    "PDF Tabel 4.3.D, 4.1.D",
    base=SCORED,
    envelope=True,
    method="PATCH",
    path=f"/associations/{A_CTX}",
    context=A_CTX,
)
add(
    "f3-valid-rktr-context",
    3,
    "referenceLevelRKTR score 'Op weg naar 2F'",
    "PDF Tabel 4.1.D",
    base=SCORED,
    changes={"/result/score": "Op weg naar 2F"},
    envelope=True,
    method="PATCH",
    path=f"/associations/{A_RKTR}",
    context=A_RKTR,
)

# ---- flow 3: schema errors --------------------------------------------------------------------
add(
    "f3-missing-association-type",
    3,
    "associationType left out of the PATCH",
    "PDF ch. 4 intro",
    base=SCORED,
    changes={"/associationType": D},
    errors=[("schema.required", "")],
)
add(
    "f3-missing-result",
    3,
    "result left out",
    "PDF §3.3.3",
    base=ATTENDANCE_ONLY,
    changes={"/result": D},
    errors=[("schema.required", "")],
)
add(
    "f3-wrong-association-type",
    3,
    "associationType courseOfferingAssociation",
    "PDF Tabel 4.3.A",
    base=SCORED,
    changes={"/associationType": "courseOfferingAssociation"},
    errors=[("schema.enum", "/associationType")],
)
add(
    "f3-missing-state",
    3,
    "result.state left out",
    "PDF Tabel 4.3.D",
    base=ATTENDANCE_ONLY,
    changes={"/result/state": D},
    errors=[("schema.required", "/result")],
)
add(
    "f3-missing-result-date",
    3,
    "result.resultDate left out",
    "PDF Tabel 4.3.D",
    base=ATTENDANCE_ONLY,
    changes={"/result/resultDate": D},
    errors=[("schema.required", "/result")],
)
add(
    "f3-missing-consumers",
    3,
    "result.consumers left out",
    "PDF Tabel 4.3.D",
    base=ATTENDANCE_ONLY,
    changes={"/result/consumers": D},
    errors=[("schema.required", "/result")],
)
add(
    "f3-legacy-consumer-key",
    3,
    "consumerKey NL-TEST-ADMIN (PDF v0.6 spelling): no nl-test-admin block",
    "oke-flows.md 7 (consumerKey history)",
    base=SCORED,
    changes={f"{C0}/consumerKey": "NL-TEST-ADMIN"},
    errors=[("schema.contains", "/result/consumers")],
    warnings=[("legacy-consumer-key", f"{C0}/consumerKey")],
)
add(
    "f3-old-consumer-key",
    3,
    "consumerKey MBO-toetsafname (before June 2023)",
    "oke-flows.md 7",
    base=ATTENDANCE_ONLY,
    changes={f"{C0}/consumerKey": "MBO-toetsafname"},
    errors=[("schema.contains", "/result/consumers")],
    warnings=[("legacy-consumer-key", f"{C0}/consumerKey")],
)
add(
    "f3-missing-attendance",
    3,
    "attendance left out",
    "PDF Tabel 4.3.D",
    base=ATTENDANCE_ONLY,
    changes={f"{C0}/attendance": D},
    errors=[("schema.required", C0)],
)
add(
    "f3-attendance-lowercase",
    3,
    "attendance 'notknown' (PDF history v0.6 spelling)",
    "oke-flows.md 4",
    base=ATTENDANCE_ONLY,
    changes={f"{C0}/attendance": "notknown"},
    errors=[("schema.enum", f"{C0}/attendance")],
)
add(
    "f3-wrong-state",
    3,
    "result.state 'complete'",
    "PDF Tabel 4.3.D",
    base=SCORED,
    changes={"/result/state": "complete"},
    errors=[("schema.enum", "/result/state")],
)
add(
    "f3-wrong-pass",
    3,
    "result.pass 'geslaagd'",
    "PDF Tabel 4.3.D",
    base=SCORED,
    changes={"/result/pass": "geslaagd"},
    errors=[("schema.enum", "/result/pass")],
)
add(
    "f3-result-date-format",
    3,
    "resultDate written 21-09-2026",
    "PDF Tabel 4.0.A",
    base=SCORED,
    changes={"/result/resultDate": "21-09-2026"},
    errors=[("schema.format", "/result/resultDate")],
)
add(
    "f3-test-date-date-only",
    3,
    "testDate as a bare date (flow3.md 3.1)",
    "oke-flows.md 1.4, 7",
    base=SCORED,
    changes={f"{C0}/testDate": "2026-09-14"},
    errors=[("schema.format", f"{C0}/testDate")],
)
add(
    "f3-test-date-no-offset",
    3,
    "testDate without a timezone designator",
    "PDF Tabel 4.0.A",
    base=SCORED,
    changes={f"{C0}/testDate": "2026-09-14T10:30:00"},
    errors=[("schema.format", f"{C0}/testDate")],
)
add(
    "f3-weight-missing",
    3,
    "Scored result without weight (MD 3.2.B omits it)",
    "oke-flows.md 1.4",
    base=SCORED,
    changes={"/result/weight": D},
    errors=[("schema.required", "/result")],
)
add(
    "f3-weight-above-100",
    3,
    "weight 150",
    "YAML ComponentResult (0..100)",
    base=SCORED,
    changes={"/result/weight": 150},
    errors=[("schema.maximum", "/result/weight")],
    warnings=[("weight-not-100", "/result/weight")],
)
add(
    "f3-raw-score-string",
    3,
    "rawScore sent as a string",
    "YAML nl-test-admin-Result",
    base=SCORED,
    changes={f"{C0}/rawScore": "31"},
    errors=[("schema.type", f"{C0}/rawScore")],
)
add(
    "f3-raw-score-negative",
    3,
    "rawScore -2",
    "plain sense (points cannot be negative)",
    base=SCORED,
    changes={f"{C0}/rawScore": -2},
    errors=[("schema.minimum", f"{C0}/rawScore")],
)
add(
    "f3-score-number",
    3,
    "score sent as a number instead of a string",
    "YAML Result (score: string)",
    base=SCORED,
    changes={"/result/score": 7.5},
    errors=[("schema.type", "/result/score")],
)
add(
    "f3-final-string",
    3,
    "final sent as the string 'true'",
    "YAML nl-test-admin-Result",
    base=SCORED,
    changes={f"{C0}/final": "true"},
    errors=[("schema.type", f"{C0}/final")],
)
add(
    "f3-document-type-flow4",
    3,
    "documentType sessionReport on a result",
    "PDF Tabel 4.6.B",
    base=SCORED,
    changes={f"{C0}/documents/0/documentType": "sessionReport"},
    errors=[("schema.enum", f"{C0}/documents/0/documentType")],
)
add(
    "f3-document-name-missing",
    3,
    "document without documentName",
    "PDF Tabel 4.6.A",
    base=SCORED,
    changes={f"{C0}/documents/0/documentName": D},
    errors=[("schema.required", f"{C0}/documents/0")],
)
add(
    "f3-document-id-missing",
    3,
    "document without documentId",
    "PDF Tabel 4.6.A",
    base=SCORED,
    changes={f"{C0}/documents/0/documentId": D},
    errors=[("schema.required", f"{C0}/documents/0")],
)
add(
    "f3-document-type-missing",
    3,
    "document without documentType",
    "PDF Tabel 4.6.A",
    base=SCORED,
    changes={f"{C0}/documents/0/documentType": D},
    errors=[("schema.required", f"{C0}/documents/0")],
)
add(
    "f3-consumer-without-key",
    3,
    "a second consumer block without consumerKey",
    "YAML Consumer (consumerKey)",
    base=SCORED,
    changes={"/result/consumers/1": {"attendance": "present"}},
    errors=[("schema.required", "/result/consumers/1")],
)
add(
    "f3-document-id-integer",
    3,
    "documentId 123454 unquoted (YAML example)",
    "oke-flows.md 7",
    base=SCORED,
    changes={f"{C0}/documents/0/documentId": 123454},
    errors=[("schema.type", f"{C0}/documents/0/documentId")],
)
add(
    "f3-document-id-not-uuid",
    3,
    "documentId '123454' and truncated documentName '...Jake Doe.pd' (tolerated)",
    "oke-flows.md 7",
    base=SCORED,
    changes={
        f"{C0}/documents/0/documentId": "123454",
        f"{C0}/documents/0/documentName": "Assessment form for Jake Doe.pd",
    },
    warnings=[("document-id-not-uuid", f"{C0}/documents/0/documentId")],
)

# ---- flow 3: rules ----------------------------------------------------------------------------
add(
    "f3-raw-score-above-max",
    3,
    "rawScore 44 above maxRawScore 40",
    "PDF Tabel 4.3.D",
    base=SCORED,
    changes={f"{C0}/rawScore": 44},
    errors=[("raw-score-above-max", f"{C0}/rawScore")],
)
add(
    "f3-score-on-absent",
    3,
    "score and rawScore on a participant who was notPresent",
    "PDF Tabel 4.3.E",
    base=SCORED,
    changes={f"{C0}/attendance": "notPresent"},
    errors=[("score-on-absent", "/result/score"), ("score-on-absent", f"{C0}/rawScore")],
)
add(
    "f3-final-not-completed",
    3,
    "final true on an 'in progress' attendance message",
    "PDF Tabel 4.3.D",
    base=ATTENDANCE_ONLY,
    changes={f"{C0}/final": True},
    errors=[("final-not-completed", f"{C0}/final")],
)
add(
    "f3-scored-without-score",
    3,
    "completed result of a present participant without score",
    "PDF Fig 3.3.6",
    base=SCORED,
    changes={"/result/score": D, f"{C0}/rawScore": D, f"{C0}/maxRawScore": D},
    errors=[("scored-without-score", "/result")],
)
add(
    "f3-raw-score-without-score",
    3,
    "rawScore sent but no score",
    "PDF Fig 3.3.6",
    base=ATTENDANCE_ONLY,
    changes={f"{C0}/rawScore": 12, f"{C0}/maxRawScore": 40},
    errors=[("scored-without-score", "/result")],
)
add(
    "f3-raw-score-without-max",
    3,
    "rawScore without maxRawScore (tolerated)",
    "YAML nl-test-admin-Result",
    base=SCORED,
    changes={f"{C0}/maxRawScore": D},
    warnings=[("raw-score-without-max", C0)],
)
add(
    "f3-weight-not-100",
    3,
    "weight 50 (OKE always sends 100)",
    "PDF Tabel 4.3.D",
    base=SCORED,
    changes={"/result/weight": 50},
    warnings=[("weight-not-100", "/result/weight")],
)
add(
    "f3-test-date-after-result-date",
    3,
    "testDate after resultDate",
    "PDF Tabel 4.3.D",
    base=SCORED,
    changes={f"{C0}/testDate": "2026-09-28T10:30:00+02:00"},
    warnings=[("test-date-after-result-date", f"{C0}/testDate")],
)
add(
    "f3-pass-contradicts-score",
    3,
    "pass failed while score says passed",
    "PDF Tabel 4.3.D",
    base=SCORED,
    changes={"/result/score": "passed", "/result/pass": "failed"},
    warnings=[("pass-contradicts-score", "/result/pass")],
)
add(
    "f3-attendance-in-association-consumer",
    3,
    "attendance in the association's consumer block (examples/nl-test-admin-Association.yaml)",
    "oke-flows.md 7",
    base=ATTENDANCE_ONLY,
    changes={"/consumers": [{"consumerKey": "nl-test-admin", "attendance": "present"}]},
    warnings=[("attendance-in-association-consumer", "/consumers/0/attendance")],
)
add(
    "f3-score-value-type",
    3,
    "score 'voldoende' for an exam with result value type 0.0-10.0",
    "PDF Tabel 4.3.D, 4.1.D",
    base=SCORED,
    changes={"/result/score": "voldoende"},
    envelope=True,
    method="PATCH",
    path=f"/associations/{A_CTX}",
    context=A_CTX,
    errors=[("score-value-type", "/result/score")],
)
add(
    "f3-score-out-of-range",
    3,
    "score '10.5' above the 0.0-10.0 interval",
    "PDF Tabel 4.1.D",
    base=SCORED,
    changes={"/result/score": "10.5"},
    envelope=True,
    method="PATCH",
    path=f"/associations/{A_CTX}",
    context=A_CTX,
    errors=[("score-value-type", "/result/score")],
)
add(
    "f3-pass-or-fail-context",
    3,
    "pass-or-fail exam scored 'geslaagd'",
    "PDF Tabel 4.1.D",
    base=SCORED,
    changes={"/result/score": "geslaagd"},
    envelope=True,
    method="PATCH",
    path=f"/associations/{A_PASS}",
    context=A_PASS,
    errors=[("score-value-type", "/result/score")],
)
add(
    "f3-assessor-missing",
    3,
    "scored result without assessor for an exam that requires one",
    "PDF Tabel 4.3.D",
    base=SCORED,
    changes={f"{C0}/assessorId": D, f"{C0}/assessorCode": D},
    envelope=True,
    method="PATCH",
    path=f"/associations/{A_CTX}",
    context=A_CTX,
    errors=[("assessor-missing", C0)],
)
add(
    "f3-max-raw-score-mismatch",
    3,
    "maxRawScore 50 while the exam version's maximum is 40 (tolerated)",
    "PDF Tabel 4.3.D",
    base=SCORED,
    changes={f"{C0}/maxRawScore": 50},
    envelope=True,
    method="PATCH",
    path=f"/associations/{A_CTX}",
    context=A_CTX,
    warnings=[("max-raw-score-mismatch", f"{C0}/maxRawScore")],
)

# ---- flow 3: broken JSON from flow3.md (kept as the broken text) ------------------------------
FLOW3_MD_L83 = """{
  "associationType": "componentOfferingAssociation",
  "result": {
    "state": "completed",
    "resultDate": "2020-09-28",
    "consumers": [
      {
        "consumerKey": "nl-test-admin",
        "attendance": "present",
        "irregularities": "Jantje heeft gespiekt."
        "final": false
      }
    ]
  }
}
"""
add(
    "f3-syntax-missing-comma",
    3,
    "missing comma after irregularities (flow3.md L83, L200, L295, L350)",
    "oke-flows.md 7",
    raw=FLOW3_MD_L83,
    errors=[("json-syntax", "")],
)
add(
    "f3-syntax-trailing-comma-weight",
    3,
    'trailing comma after "weight": 100 (flow3.md L97)',
    "oke-flows.md 7",
    raw='{\n  "associationType": "componentOfferingAssociation",\n  "result": {\n'
    '    "state": "completed",\n    "resultDate": "2020-09-28",\n    "weight": 100,\n  }\n}\n',
    errors=[("json-syntax", "")],
)
add(
    "f3-syntax-trailing-comma-attendance",
    3,
    'trailing comma after "attendance": "present" (flow3.md L172)',
    "oke-flows.md 7",
    raw='{"associationType": "componentOfferingAssociation", "result": {"state": "in progress",'
    ' "resultDate": "2020-09-28", "consumers": [{"consumerKey": "nl-test-admin",\n "attendance": "present",\n'
    " }]}}\n",
    errors=[("json-syntax", "")],
)
add(
    "f3-syntax-trailing-bracket",
    3,
    "trailing '],' closing the consumers (flow3.md L212)",
    "oke-flows.md 7",
    raw='{"associationType": "componentOfferingAssociation", "result": {"state": "in progress",\n'
    ' "resultDate": "2020-09-28", "consumers": [{"consumerKey": "nl-test-admin", "attendance": "present"}],\n'
    "}}\n",
    errors=[("json-syntax", "")],
)
add(
    "f3-syntax-missing-comma-person",
    3,
    'missing comma between the result object and "person" (flow3.md L308)',
    "oke-flows.md 7",
    raw='{"associationType": "componentOfferingAssociation",\n "result": {"state": "in progress", '
    '"resultDate": "2020-09-28", "consumers": [{"consumerKey": "nl-test-admin", "attendance": "present"}]}\n'
    ' "person": "' + PERSON + '"\n}\n',
    errors=[("json-syntax", "")],
)
add("syntax-empty", 3, "an empty body", "plain sense", raw="", errors=[("json-syntax", "")])
add(
    "syntax-array",
    3,
    "a JSON array instead of an object",
    "plain sense",
    raw='[{"associationType": "componentOfferingAssociation"}]\n',
    errors=[("json-syntax", "")],
)

# ---- flow 4 ----------------------------------------------------------------------------------
F4 = "/consumers/0"
add(
    "f4-valid-session-report",
    4,
    "Session report with proces-verbaal and attendance list",
    "PDF Fig 3.4.4",
    base=SESSION_REPORT,
    changes={
        f"{F4}/documents/1": {
            "documentId": "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
            "documentType": "attendanceReport",
            "documentName": "Presentielijst.pdf",
        }
    },
)
add(
    "f4-valid-minimal",
    4,
    "Only irregularities; offeringState left out of the PATCH",
    "PDF §3.4.3",
    base=SESSION_REPORT,
    changes={f"{F4}/documents": D, f"{F4}/offeringState": D, f"{F4}/irregularities": "Geen bijzonderheden."},
)
add(
    "f4-valid-pdf-document-types",
    4,
    "documentType assessmentModel/other/assessmentForm (PDF Tabel 4.6.B)",
    "PDF Tabel 4.6.B; YAML nl-test-admin-Offering",
    base=SESSION_REPORT,
    changes={
        f"{F4}/documents": [
            {"documentId": DOC, "documentType": t, "documentName": f"{t}.pdf"}
            for t in ("assessmentModel", "other", "assessmentForm", "assessmentFormWithAnswers")
        ],
        f"{F4}/offeringState": "canceled",
    },
)
add(
    "f4-missing-offering-type",
    4,
    "offeringType left out of the PATCH",
    "PDF ch. 4 intro",
    base=SESSION_REPORT,
    changes={"/offeringType": D},
    method="PATCH",
    path=f"/offerings/{OFFERING}",
    envelope=True,
    errors=[("schema.required", "")],
)
add(
    "f4-wrong-offering-type",
    4,
    "offeringType 'course'",
    "PDF Fig 3.4.4",
    base=SESSION_REPORT,
    changes={"/offeringType": "course"},
    errors=[("schema.enum", "/offeringType")],
)
add(
    "f4-missing-consumer",
    4,
    "no nl-test-admin consumer block",
    "PDF Tabel 4.2.A",
    base=SESSION_REPORT,
    changes={"/consumers": []},
    errors=[("schema.contains", "/consumers")],
)
add(
    "f4-missing-consumers",
    4,
    "consumers left out of the session report",
    "PDF Tabel 4.2.A",
    base=SESSION_REPORT,
    changes={"/consumers": D},
    errors=[("schema.required", "")],
)
add(
    "f4-consumer-without-key",
    4,
    "a second consumer block without consumerKey",
    "YAML Consumer (consumerKey)",
    base=SESSION_REPORT,
    changes={"/consumers/1": {"irregularities": "x"}},
    errors=[("schema.required", "/consumers/1")],
)
add(
    "f4-document-type-missing",
    4,
    "session report document without documentType",
    "PDF Tabel 4.6.A",
    base=SESSION_REPORT,
    changes={f"{F4}/documents/0/documentType": D},
    errors=[("schema.required", f"{F4}/documents/0")],
)
add(
    "f4-document-id-missing",
    4,
    "session report document without documentId",
    "PDF Tabel 4.6.A",
    base=SESSION_REPORT,
    changes={f"{F4}/documents/0/documentId": D},
    errors=[("schema.required", f"{F4}/documents/0")],
)
add(
    "f4-document-name-missing",
    4,
    "session report document without documentName",
    "PDF Tabel 4.6.A",
    base=SESSION_REPORT,
    changes={f"{F4}/documents/0/documentName": D},
    errors=[("schema.required", f"{F4}/documents/0")],
)
add(
    "f4-missing-irregularities",
    4,
    "nl-test-admin block without irregularities",
    "PDF §3.4.2, Tabel 4.2.A",
    base=SESSION_REPORT,
    changes={f"{F4}/irregularities": D},
    errors=[("schema.required", F4)],
)
add(
    "f4-wrong-offering-state",
    4,
    "offeringState 'cancelled' (British spelling)",
    "PDF Tabel 4.2.A",
    base=SESSION_REPORT,
    changes={f"{F4}/offeringState": "cancelled"},
    errors=[("schema.enum", f"{F4}/offeringState")],
)
add(
    "f4-wrong-document-type",
    4,
    "documentType 'officialReport' (extensible OOAPI enum, not OKE)",
    "YAML nl-test-admin-Offering",
    base=SESSION_REPORT,
    changes={f"{F4}/documents/0/documentType": "officialReport"},
    errors=[("schema.enum", f"{F4}/documents/0/documentType")],
)
add(
    "f4-syntax-request-line",
    4,
    "request line '#PATCH ...' inside the JSON fence (flow4.md L27)",
    "oke-flows.md 7",
    raw=f'#PATCH /offerings/{OFFERING}\n{{\n  "offeringType": "component"\n}}\n',
    errors=[("json-syntax", "")],
)
add(
    "f4-syntax-trailing-comma",
    4,
    "trailing comma after documentName (flow4.md L39)",
    "oke-flows.md 7",
    raw='{\n  "offeringType": "component",\n  "consumers": [{\n    "consumerKey": "nl-test-admin",\n'
    '    "irregularities": "",\n    "documents": [{\n      "documentId": "' + DOC + '",\n'
    '      "documentType": "sessionReport",\n      "documentName": "Session report.pdf",\n    }]\n  }]\n}\n',
    errors=[("json-syntax", "")],
)

# ---- flow 5 PATCH ----------------------------------------------------------------------------
add("f5-valid-attendance", 5, "Flow-5 attendance message (Fig 3.5.4)", "PDF Fig 3.5.4", base=FLOW5_ATTENDANCE)
add("f5-valid-scored", 5, "Flow-5 scored message (Fig 3.5.5)", "PDF Fig 3.5.5", base=FLOW5_SCORED)
add(
    "f5-missing-executed-offering-name",
    5,
    "executedOfferingName left out (no flow5.md example has it)",
    "PDF Tabel 4.3.D; oke-flows.md 7",
    base=FLOW5_SCORED,
    changes={f"{C0}/executedOfferingName": D},
    errors=[("schema.required", C0)],
)
add(
    "f5-missing-association-type",
    5,
    "associationType left out (flow5.md PATCH examples)",
    "oke-flows.md 7",
    base=FLOW5_SCORED,
    changes={"/associationType": D},
    errors=[("schema.required", "")],
)
add(
    "f5-missing-result",
    5,
    "flow-5 PATCH without result",
    "PDF §3.5.3",
    base=FLOW5_SCORED,
    changes={"/result": D},
    errors=[("schema.required", "")],
)
add(
    "f5-missing-org-association-id",
    5,
    "orgAssociationId left out",
    "PDF §3.5.3",
    base=FLOW5_SCORED,
    changes={"/consumers/0/orgAssociationId": D},
    errors=[("schema.required", "/consumers/0")],
)
add(
    "f5-missing-attempt",
    5,
    "attempt left out",
    "PDF §3.5.3",
    base=FLOW5_SCORED,
    changes={"/consumers/0/attempt": D},
    errors=[("schema.required", "/consumers/0")],
)
add(
    "f5-missing-association-consumers",
    5,
    "association consumers left out (flow forced by the envelope)",
    "PDF §3.5.3",
    base=FLOW5_SCORED,
    changes={"/consumers": D},
    envelope=True,
    method="PATCH",
    path=f"/associations/{A_ORG}",
    errors=[("schema.required", "")],
)
PACK[-1]["content"]["flow"] = 5
add(
    "f5-org-association-id-not-uuid",
    5,
    "orgAssociationId '123c6f59-21wg-...' is not a UUID",
    "oke-flows.md 7",
    base=FLOW5_SCORED,
    changes={"/consumers/0/orgAssociationId": "123c6f59-21wg-4d1b-8a6e-5b0d1c2e3f40"},
    errors=[("schema.format", "/consumers/0/orgAssociationId")],
)
add(
    "f5-attempt-zero",
    5,
    "attempt 0",
    "PDF Tabel 4.3.A (number of the attempt)",
    base=FLOW5_SCORED,
    changes={"/consumers/0/attempt": 0},
    errors=[("schema.minimum", "/consumers/0/attempt")],
)
add(
    "f5-syntax-missing-comma-org",
    5,
    "missing comma after orgAssociationId (flow5.md L88, L124, L241)",
    "oke-flows.md 7",
    raw='{\n  "associationType": "componentOfferingAssociation",\n  "consumers": [{\n'
    '    "consumerKey": "nl-test-admin",\n    "attempt": 1,\n    "orgAssociationId": "' + A_ORG + '"\n'
    '    "attemptLeft": 1\n  }]\n}\n',
    errors=[("json-syntax", "")],
)
add(
    "f5-syntax-missing-comma-irregularities",
    5,
    "missing comma after irregularities (flow5.md L101, L140, L257)",
    "oke-flows.md 7",
    raw='{"result": {"consumers": [{"consumerKey": "nl-test-admin", "attendance": "present",\n'
    '  "irregularities": "geen"\n  "final": false}]}}\n',
    errors=[("json-syntax", "")],
)
add(
    "f5-syntax-trailing-commas",
    5,
    "trailing commas (flow5.md L111-112, L153-154, L269, L272)",
    "oke-flows.md 7",
    raw='{"result": {"state": "completed", "resultDate": "2020-09-28",\n'
    '  "consumers": [{"consumerKey": "nl-test-admin", "attendance": "present",},],\n}}\n',
    errors=[("json-syntax", "")],
)

# ---- flow 5 PUT ------------------------------------------------------------------------------
PUT_PATH = f"/associations/{A_NEW}"
add(
    "f5-put-valid",
    5,
    "Result of an extra attempt on its own new association (Fig 3.5.6)",
    "PDF Fig 3.5.6",
    base=PUT_BODY,
    envelope=True,
    method="PUT",
    path=PUT_PATH,
)
add(
    "f5-put-id-mismatch",
    5,
    "PUT body associationId differs from the path id",
    "PDF §5.1-5.3",
    base=PUT_BODY,
    envelope=True,
    method="PUT",
    path=f"/associations/{A_ORG}",
    errors=[("put-id-mismatch", "/associationId")],
)
add(
    "f5-put-same-as-original",
    5,
    "associationId reused as orgAssociationId (flow5.md PUT example)",
    "oke-flows.md 7",
    base=PUT_BODY,
    changes={"/associationId": A_ORG},
    envelope=True,
    method="PUT",
    path=f"/associations/{A_ORG}",
    warnings=[("put-same-as-original", "/consumers/0/orgAssociationId")],
)
add(
    "f5-put-missing-role",
    5,
    "PUT without role",
    "YAML ComponentOfferingAssociationExpandedWrite",
    base=PUT_BODY,
    changes={"/role": D},
    envelope=True,
    method="PUT",
    path=PUT_PATH,
    errors=[("schema.required", "")],
)
add(
    "f5-put-missing-person",
    5,
    "PUT without person",
    "PDF Tabel 4.3.A, Fig 3.5.6",
    base=PUT_BODY,
    changes={"/person": D},
    errors=[("schema.required", "")],
)
add(
    "f5-put-valid-finished",
    5,
    "Extra attempt on an association that is already finished (must be accepted)",
    "PDF §3.5.2, Tabel 4.3.C",
    base=PUT_BODY,
    changes={"/state": "finished"},
)
add(
    "f5-put-valid-canceled",
    5,
    "Extra attempt on a canceled association, person expanded as an object",
    "PDF §3.5.2, Tabel 4.3.C",
    base=PUT_BODY,
    changes={"/state": "canceled", "/person": {"personId": PERSON}},
)
add(
    "f5-put-missing-association-id",
    5,
    "PUT without associationId",
    "PDF §5.1; YAML AssociationId",
    base=PUT_BODY,
    changes={"/associationId": D},
    envelope=True,
    method="PUT",
    path=PUT_PATH,
    errors=[("schema.required", "")],
)
add(
    "f5-put-missing-state",
    5,
    "PUT without the association state",
    "YAML ComponentOfferingAssociationExpandedWrite",
    base=PUT_BODY,
    changes={"/state": D},
    errors=[("schema.required", "")],
)
add(
    "f5-put-missing-offering",
    5,
    "PUT without offering",
    "PDF Tabel 4.3.A, Fig 3.5.6",
    base=PUT_BODY,
    changes={"/offering": D},
    errors=[("schema.required", "")],
)
add(
    "f5-put-role-lecturer",
    5,
    "role 'lecturer' (struck through in the PDF)",
    "PDF Tabel 4.3.B",
    base=PUT_BODY,
    changes={"/role": "lecturer"},
    errors=[("schema.enum", "/role")],
)
add(
    "f5-put-role-invigilator",
    5,
    "role 'invigilator': staff associations carry no result",
    "PDF §3.3.4",
    base=PUT_BODY,
    changes={"/role": "invigilator"},
    errors=[("schema.enum", "/role")],
)
add(
    "f5-put-state-pending",
    5,
    "association state 'pending' (struck through in the PDF)",
    "PDF Tabel 4.3.C",
    base=PUT_BODY,
    changes={"/state": "pending"},
    errors=[("schema.enum", "/state")],
)
add(
    "f5-put-person-not-uuid",
    5,
    "person '111-2222-33-4444-222' is not a UUID",
    "oke-flows.md 7",
    base=PUT_BODY,
    changes={"/person": "111-2222-33-4444-222"},
    errors=[("schema.format", "/person")],
)
add(
    "f5-put-association-id-not-uuid",
    5,
    "associationId 'abc' is not a UUID",
    "YAML AssociationId",
    base=PUT_BODY,
    changes={"/associationId": "abc"},
    envelope=True,
    method="PUT",
    path="/associations/abc",
    errors=[("schema.format", "/associationId")],
)

# ---- envelopes -------------------------------------------------------------------------------
PACK.append(
    {
        "file": "messages/envelope-body-and-text.json",
        "flow": 3,
        "kind": "envelope",
        "method": "PATCH",
        "path": f"/associations/{A_ID}",
        "description": "an envelope with both body and body_text",
        "source": "INTERFACES.md 1",
        "content": {"method": "PATCH", "path": f"/associations/{A_ID}", "body": {}, "body_text": "{}"},
        "expect": {"valid": False, "errors": [{"code": "envelope-invalid", "pointer": ""}], "warnings": []},
    }
)
add(
    "envelope-body-text-broken",
    3,
    "envelope with body_text holding broken JSON (simulator fault)",
    "INTERFACES.md 1",
    raw=None,
    base={},
    envelope=True,
    method="PATCH",
    path=f"/associations/{A_ID}",
    errors=[("json-syntax", "")],
)
PACK[-1]["content"] = {
    "method": "PATCH",
    "path": f"/associations/{A_ID}",
    "body_text": '{"associationType": "componentOfferingAssociation",}',
}

CONTEXT = {
    A_CTX: {"result_value_type": "0.0-10.0", "max_raw_score": 40, "assessor_required": True},
    A_RKTR: {"result_value_type": "referenceLevelRKTR", "max_raw_score": 40, "assessor_required": False},
    A_PASS: {"result_value_type": "pass-or-fail", "max_raw_score": None, "assessor_required": False},
}


def write(root: Path) -> None:
    messages = root / "messages"
    messages.mkdir(parents=True, exist_ok=True)
    for old in messages.glob("*.json"):
        old.unlink()
    manifest = []
    for entry in PACK:
        content = entry["content"]
        text = content if entry["kind"] == "raw" else json.dumps(content, indent=2, ensure_ascii=False) + "\n"
        (root / entry["file"]).write_text(text, encoding="utf-8")
        row = {k: v for k, v in entry.items() if k != "content" and v is not None}
        if "context" in row:
            row["context"] = CONTEXT[row["context"]]
        manifest.append(row)
    header = (
        "# OKE conformance pack: one entry per message file (generated by conformance/generate.py).\n"
        "# kind: body = the HTTP request body; envelope = {method, path, body | body_text};\n"
        "# raw = the body exactly as sent (broken JSON kept as is). flow/method/path say where it is sent;\n"
        "# context = exam context the receiver knows. expect: valid, and the exact (code, pointer) pairs.\n"
    )
    (root / "manifest.yaml").write_text(
        header + yaml.safe_dump(manifest, sort_keys=True, allow_unicode=True, width=110), encoding="utf-8"
    )
    (root / "context.yaml").write_text(
        "# Exam context per association id, for `oke validate --context conformance/context.yaml`.\n"
        + yaml.safe_dump(CONTEXT, sort_keys=True),
        encoding="utf-8",
    )


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    print(f"{len(PACK)} messages written")
