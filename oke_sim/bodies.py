"""Flow-3 and flow-4 bodies as a test administration system sends them (OKE profile, OOAPI v5).

Bodies always carry `person` and `offering` (INTERFACES.md section 10) so a receiver can detect a
result sent to the wrong participation.
"""

from __future__ import annotations

from typing import Any

CONSUMER = "nl-test-admin"


def session_template(executed_offering_name: str, test_date: str) -> dict[str, Any]:
    """The nl-test-admin fields every flow-3 message of one session shares; built once per session."""
    return {"consumerKey": CONSUMER, "executedOfferingName": executed_offering_name, "testDate": test_date}


def participant_consumer(
    template: dict[str, Any], attendance: str, irregularities: str | None
) -> dict[str, Any]:
    """A fresh nl-test-admin block for one message: the session's fields plus the participant's."""
    consumer = template.copy()
    consumer["attendance"] = attendance
    if irregularities:
        consumer["irregularities"] = irregularities
    return consumer


def add_scoring(
    consumer: dict[str, Any],
    raw: int,
    max_raw: int,
    assessor: tuple[str, str] | None,
    final: bool,
    document: tuple[str, str],
) -> None:
    """The fields of a scored message: raw score, assessor, final flag and the assessment form."""
    consumer["rawScore"] = raw
    consumer["maxRawScore"] = max_raw
    if assessor is not None:
        consumer["assessorId"], consumer["assessorCode"] = assessor
    consumer["final"] = final
    consumer["documents"] = [
        {"documentId": document[0], "documentType": "assessmentForm", "documentName": document[1]}
    ]


def flow3_body(
    person: str,
    offering: str,
    state: str,
    result_date: str,
    consumer: dict[str, Any],
    pass_: str | None = None,
    score: str | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """A flow-3 body around a prepared nl-test-admin block (see `participant_consumer`)."""
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
