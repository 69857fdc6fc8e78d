"""The fast path (issue 2, speed) must give exactly the verdicts of the readable path, for every flow.

The compiled validator runs on schemas with their $refs inlined, clean messages share one immutable
verdict, the rules exit early and `.jsonl` streams are read line by line; these tests pin down that
none of that changes what a user sees.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from contract_bodies import flow3_body, flow4_body, flow5_body
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oke_core.contract import Contract, Problem, RuleContext, Verdict
from oke_core.contract.runner import check_message
from oke_core.contract.sources import read_file

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 500) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
SPECIAL_VALUES = st.sampled_from(
    [
        "2026-02-30",
        "2026-09-14T10:00:00",
        "6F1C2D3E-4A5B-4C6D-8E9F-0A1B2C3D4E5F",
        "not-a-uuid",
        "nl-test-admin",
        "NL-TEST-ADMIN",
        "present",
        "notPresent",
        "passed",
        "completed",
        0,
        1,
        100,
        True,
        [],
        [{"consumerKey": "nl-test-admin"}],
        [{"documentId": "x", "documentType": "other", "documentName": "a.pdf"}],
    ]
)
# (kind, flow, method, pointers a vendor can get wrong) for the flows besides the flow-3 PATCH.
LEAVES = {
    "flow3": ["/result/consumers/0/consumerKey", "/result/consumers", "/result/consumers/0/documents"],
    "flow4": [
        "/offeringType",
        "/consumers",
        "/consumers/0/consumerKey",
        "/consumers/0/irregularities",
        "/consumers/0/offeringState",
        "/consumers/0/documents",
    ],
    "flow5": [
        "/consumers",
        "/consumers/0/consumerKey",
        "/consumers/0/attempt",
        "/consumers/0/attemptLeft",
        "/consumers/0/orgAssociationId",
        "/consumers/0/attendance",
        "/result/consumers/0/executedOfferingName",
        "/result/consumers/0/rawScore",
        "/result/score",
        "/result/weight",
    ],
    "flow5-put": ["/associationId", "/role", "/state", "/person", "/consumers/0/orgAssociationId"],
}
SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def mutated(draw) -> tuple[str, int, str, dict]:
    kind = draw(st.sampled_from(sorted(LEAVES)))
    flow, method = {"flow3": (3, "PATCH"), "flow4": (4, "PATCH"), "flow5": (5, "PATCH")}.get(kind, (5, "PUT"))
    body = draw(
        {
            "flow3": flow3_body(),
            "flow4": flow4_body(),
            "flow5": flow5_body(),
            "flow5-put": flow5_body(put=True),
        }[kind]
    )
    pointers = LEAVES[kind] + (LEAVES["flow5"] if kind == "flow5-put" else [])
    *parents, last = draw(st.sampled_from(pointers)).split("/")[1:]
    node: object = body
    for token in parents:
        node = node[int(token)] if isinstance(node, list) else node[token]  # type: ignore[index]
    node[last] = draw(JSON_VALUES | SPECIAL_VALUES)  # type: ignore[index]
    return kind, flow, method, body


@SETTINGS
@given(case=mutated())
def test_fast_and_readable_validators_agree_on_every_flow(contract: Contract, case: tuple) -> None:
    """The compiled validator (schemas with $refs inlined) judges like the readable one, flows 3, 4, 5."""
    kind, flow, method, body = case
    fast = contract.schema_valid(body, flow, method)
    slow = contract.schema_valid(body, flow, method, fast=False)
    assert fast == slow, (kind, body)
    verdict = contract.check(body, flow, method=method, path="/associations/x")
    assert verdict.valid == (slow and not verdict.errors)
    if not slow:
        assert any(p.code.startswith("schema.") for p in verdict.errors)


@SETTINGS
@given(case=mutated(), context=st.sampled_from([None, RuleContext("0.0-10.0", 40, True), RuleContext()]))
def test_rules_never_raise_and_verdicts_are_stable(contract: Contract, case: tuple, context) -> None:
    """Whatever a vendor sends, the rules answer (no exception) and the same body gets the same verdict."""
    _, flow, method, body = case
    first = contract.check(body, flow, context, method=method, path="/associations/x")
    again = contract.check(copy.deepcopy(body), flow, context, method=method, path="/associations/x")
    assert first == again
    assert all(isinstance(p, Problem) and p.severity in ("error", "warning") for p in first.problems)


def test_clean_verdicts_are_shared_and_cannot_be_changed(contract: Contract) -> None:
    """Clean messages share one verdict per flow; a caller cannot corrupt it for everyone else."""
    body = {
        "associationType": "componentOfferingAssociation",
        "result": {
            "state": "in progress",
            "resultDate": "2026-09-14",
            "consumers": [{"consumerKey": "nl-test-admin", "attendance": "present"}],
        },
    }
    verdict = contract.check(body, 3)
    assert verdict == Verdict(3, [], []) and verdict.valid and verdict.flow == 3
    problem = Problem("", "json-syntax", "x")
    with pytest.raises(TypeError):
        verdict.errors.append(problem)
    with pytest.raises(TypeError):
        verdict.warnings.extend([problem])
    with pytest.raises(AttributeError):
        verdict.flow = 4  # type: ignore[misc]
    assert contract.check(copy.deepcopy(body), 3) == Verdict(3, [], [])
    assert copy.deepcopy(verdict) == verdict and repr(verdict) == "Verdict(flow=3, errors=[], warnings=[])"
    # A verdict with findings is the caller's own to change.
    body["result"]["weight"] = 80
    own = contract.check(body, 3)
    own.warnings.append(problem)
    assert contract.check(body, 3).warnings != own.warnings


def test_jsonl_lines_blank_crlf_broken_and_unterminated(contract: Contract, tmp_path: Path) -> None:
    """Blank (also whitespace-only) lines are skipped, line numbers stay right, broken lines are reported."""
    good = json.dumps(
        {
            "method": "PATCH",
            "path": "/associations/a",
            "body": {
                "associationType": "componentOfferingAssociation",
                "result": {
                    "state": "in progress",
                    "resultDate": "2026-09-14",
                    "consumers": [{"consumerKey": "nl-test-admin", "attendance": "present"}],
                },
            },
        }
    )
    path = tmp_path / "m.jsonl"
    path.write_bytes(
        (good + "\n" + "\n" + "   \t \n" + good + "\r\n" + '{"a": 1,\n' + "\n" + '{"b": 2').encode()
    )
    results = [(m.source, check_message(contract, m)[1]) for m in read_file(path)]
    assert [source.rsplit(":", 1)[1] for source, _ in results] == ["1", "4", "5", "7"]
    assert [verdict.valid for _, verdict in results] == [True, True, False, False]
    trailing_comma, unterminated = results[2][1].errors[0], results[3][1].errors[0]
    assert (trailing_comma.code, trailing_comma.line, trailing_comma.column) == ("json-syntax", 2, 1)
    assert (unterminated.code, unterminated.line, unterminated.column) == ("json-syntax", 1, 8)
