"""Flow-3 and flow-4 bodies as a test administration system sends them (OKE profile, OOAPI v5).

Bodies always carry `person` and `offering` (INTERFACES.md section 10) so a receiver can detect a
result sent to the wrong participation.
"""

from __future__ import annotations

from typing import Any

CONSUMER = "nl-test-admin"


def flow3_body(
    *,
    person: str,
    offering: str,
    state: str,
    result_date: str,
    attendance: str,
    executed_offering_name: str,
    test_date: str,
    pass_: str | None = None,
    score: str | None = None,
    raw: int | None = None,
    max_raw: int | None = None,
    assessor: tuple[str, str] | None = None,
    final: bool | None = None,
    irregularities: str | None = None,
    comment: str | None = None,
    document: tuple[str, str] | None = None,
) -> dict[str, Any]:
    consumer: dict[str, Any] = {
        "consumerKey": CONSUMER,
        "attendance": attendance,
        "executedOfferingName": executed_offering_name,
        "testDate": test_date,
    }
    if raw is not None:
        consumer["rawScore"] = raw
        consumer["maxRawScore"] = max_raw
    if assessor is not None:
        consumer["assessorId"], consumer["assessorCode"] = assessor
    if final is not None:
        consumer["final"] = final
    if irregularities:
        consumer["irregularities"] = irregularities
    if document is not None:
        consumer["documents"] = [
            {"documentId": document[0], "documentType": "assessmentForm", "documentName": document[1]}
        ]
    result: dict[str, Any] = {
        "state": state,
        "resultDate": result_date,
        "weight": 100,
        "consumers": [consumer],
    }
    if pass_ is not None:
        result["pass"] = pass_
    if score is not None:
        result["score"] = score
    if comment:
        result["comment"] = comment
    return {
        "associationType": "componentOfferingAssociation",
        "person": person,
        "offering": offering,
        "result": result,
    }


def flow4_body(
    *, irregularities: str, document_id: str, document_name: str, state: str = "active"
) -> dict[str, Any]:
    return {
        "offeringType": "component",
        "consumers": [
            {
                "consumerKey": CONSUMER,
                "offeringState": state,
                "irregularities": irregularities,
                "documents": [
                    {
                        "documentId": document_id,
                        "documentType": "sessionReport",
                        "documentName": document_name,
                    }
                ],
            }
        ],
    }


SESSION_IRREGULARITIES = [
    "Brandalarm om 10:15; de afname is 20 minuten onderbroken en de toetstijd is verlengd.",
    "Netwerkstoring in het lokaal; drie kandidaten zijn na een herstart verder gegaan.",
    "Geluidsoverlast van de bouwplaats naast het gebouw tijdens het eerste uur.",
    "Surveillant was 10 minuten te laat; de afname is later gestart.",
    "Een kandidaat is onwel geworden en heeft de afname verlaten.",
]
NO_IRREGULARITIES = "Geen bijzonderheden."
STUDENT_IRREGULARITIES = [
    "Kandidaat kwam 15 minuten te laat binnen.",
    "Kandidaat had een telefoon bij zich; ingenomen door de surveillant.",
    "Kandidaat heeft extra tijd gekregen (faciliteit).",
    "Kandidaat is tijdens de afname naar het toilet begeleid.",
]
COMPLAINT_REASONS = [
    "Beoordeling niet conform het beoordelingsmodel.",
    "Opgave onjuist nagekeken.",
    "Omstandigheden tijdens de afname waren onvoldoende.",
    "Telfout in de puntentelling.",
]
CORRECTION_COMMENT = "Gecorrigeerd resultaat."
