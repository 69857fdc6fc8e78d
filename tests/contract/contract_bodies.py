"""Hypothesis strategies for valid OKE bodies (flows 3, 4, 5), written from the spec, not from the schemas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import strategies as st

UUIDS = st.uuids(version=4).map(str)
TEXT = st.text(max_size=20)
OFFSETS = st.sampled_from(
    [
        UTC,
        timezone(timedelta(hours=1)),
        timezone(timedelta(hours=2)),
        timezone(timedelta(hours=-5, minutes=-30)),
    ]
)
RESULT_DATES = st.dates(min_value=date(2020, 1, 2), max_value=date(2030, 12, 31))
DOC_TYPES_3 = ("assessmentForm", "assessmentFormWithAnswers", "assessmentModel", "other")
DOC_TYPES_4 = ("sessionReport", "attendanceReport", "assessmentModel", "other")


def _documents(types: tuple[str, ...]) -> st.SearchStrategy[list[dict]]:
    doc = st.fixed_dictionaries(
        {
            "documentId": UUIDS,
            "documentType": st.sampled_from(types),
            "documentName": TEXT.map(lambda t: f"{t}.pdf"),
        }
    )
    return st.lists(doc, max_size=3)


def _other_consumers() -> st.SearchStrategy[list[dict]]:
    other = st.fixed_dictionaries(
        {"consumerKey": st.sampled_from(["other-vendor", "nl-sis-extra"])},
        optional={"attendance": st.integers(), "anything": TEXT},
    )
    return st.lists(other, max_size=2)


@st.composite
def flow3_body(draw, shape: str | None = None, flow5: bool = False) -> dict:
    """A valid flow-3 body, shape "attendance" (Fig 3.3.5) or "scored" (Fig 3.3.6); nl-test-admin first."""
    shape = shape or draw(st.sampled_from(["attendance", "scored"]))
    result_date = draw(RESULT_DATES)
    nl: dict = {"consumerKey": "nl-test-admin"}
    result: dict = {"resultDate": result_date.isoformat()}
    test_moment = datetime.combine(
        result_date - timedelta(days=draw(st.integers(1, 30))), datetime.min.time()
    )
    test_moment = test_moment.replace(hour=draw(st.integers(8, 17)), tzinfo=draw(OFFSETS))
    if shape == "attendance":
        result["state"] = draw(st.sampled_from(["in progress", "postponed", "queued"]))
        nl["attendance"] = draw(
            st.sampled_from(["notKnown", "notPresent", "notStarted", "notFinished", "present"])
        )
        if draw(st.booleans()):
            result["weight"] = 100
    else:
        result["state"] = "completed"
        nl["attendance"] = draw(st.sampled_from(["present", "notFinished"]))
        max_raw = draw(st.integers(1, 200))
        nl["maxRawScore"] = max_raw
        nl["rawScore"] = draw(st.integers(0, max_raw))
        result["score"] = f"{draw(st.integers(10, 100)) / 10:.1f}"
        result["pass"] = draw(st.sampled_from(["passed", "failed", "unknown"]))
        result["weight"] = 100
        nl["assessorId"] = draw(UUIDS)
        nl["assessorCode"] = draw(st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=2, max_size=4))
        nl["final"] = draw(st.booleans())
    if draw(st.booleans()):
        nl["irregularities"] = draw(TEXT)
    if draw(st.booleans()):
        nl["testDate"] = test_moment.isoformat()
    if draw(st.booleans()):
        nl["documents"] = draw(_documents(DOC_TYPES_3))
    if draw(st.booleans()):
        result["comment"] = draw(st.none() | TEXT)
    if flow5:
        nl["executedOfferingName"] = draw(TEXT)
    result["consumers"] = [nl, *draw(_other_consumers())]
    body: dict = {"associationType": "componentOfferingAssociation", "result": result}
    if not flow5 and draw(st.booleans()):  # superfluous fields (INTERFACES.md 10)
        body["person"] = draw(UUIDS)
        body["offering"] = draw(UUIDS)
    return body


@st.composite
def flow4_body(draw) -> dict:
    nl: dict = {"consumerKey": "nl-test-admin", "irregularities": draw(TEXT)}
    if draw(st.booleans()):
        nl["offeringState"] = draw(st.sampled_from(["active", "canceled"]))
    if draw(st.booleans()):
        nl["documents"] = draw(_documents(DOC_TYPES_4))
    return {"offeringType": "component", "consumers": [nl, *draw(_other_consumers())]}


@st.composite
def flow5_body(draw, shape: str | None = None, put: bool = False) -> dict:
    body = draw(flow3_body(shape=shape, flow5=True))
    attempt = draw(st.integers(2, 5)) if put else draw(st.integers(1, 5))
    consumer: dict = {"consumerKey": "nl-test-admin", "attempt": attempt, "orgAssociationId": draw(UUIDS)}
    if draw(st.booleans()):
        consumer["attemptLeft"] = draw(st.none() | st.integers(0, 3))
    body["consumers"] = [consumer]
    if put:
        new_id = draw(UUIDS.filter(lambda u: u != consumer["orgAssociationId"]))
        body.update(
            {
                "associationId": new_id,
                "role": "student",
                "state": draw(st.sampled_from(["associated", "canceled", "finished"])),
                "person": draw(UUIDS),
                "offering": draw(UUIDS),
            }
        )
    return body


# Required fields per body kind, from the PDF/YAML tables (oke-flows.md), as (pointer, parent pointer).
REQUIRED = {
    "flow3": [
        "/associationType",
        "/result",
        "/result/state",
        "/result/resultDate",
        "/result/consumers",
        "/result/consumers/0/attendance",
    ],
    "flow3-scored": ["/result/weight"],
    "flow4": ["/offeringType", "/consumers", "/consumers/0/irregularities"],
    "flow5": [
        "/associationType",
        "/result",
        "/consumers",
        "/consumers/0/attempt",
        "/consumers/0/orgAssociationId",
        "/result/state",
        "/result/resultDate",
        "/result/consumers/0/attendance",
        "/result/consumers/0/executedOfferingName",
    ],
    "flow5-put": ["/associationId", "/role", "/state", "/person", "/offering"],
}
# Enum fields per body kind with their allowed values.
ENUMS = {
    "flow3": {
        "/associationType": ["componentOfferingAssociation"],
        "/result/state": ["in progress", "postponed", "completed", "queued"],
        "/result/consumers/0/attendance": ["notKnown", "notPresent", "notStarted", "notFinished", "present"],
    },
    "flow4": {"/offeringType": ["component"]},
    "flow5-put": {"/role": ["student"], "/state": ["associated", "canceled", "finished"]},
}
