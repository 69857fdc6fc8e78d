"""The contract API (INTERFACES.md 5): verdicts, problems, flow detection, parsing, sharing across threads."""

from __future__ import annotations

import copy
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from oke_core.contract import RULES, Contract, Problem, RuleContext, Verdict, detect_flow
from oke_core.contract.scores import RESULT_VALUE_TYPES, score_fits

SCORED = {
    "associationType": "componentOfferingAssociation",
    "result": {
        "state": "completed",
        "resultDate": "2026-09-21",
        "score": "7.5",
        "pass": "passed",
        "weight": 100,
        "consumers": [
            {
                "consumerKey": "nl-test-admin",
                "attendance": "present",
                "rawScore": 31,
                "maxRawScore": 40,
                "testDate": "2026-09-14T10:30:00+02:00",
            }
        ],
    },
}


def test_valid_scored_body_gives_clean_verdict(contract: Contract) -> None:
    verdict = contract.check(SCORED, 3)
    assert isinstance(verdict, Verdict)
    assert verdict.valid and verdict.errors == [] and verdict.warnings == [] and verdict.flow == 3


def test_load_returns_shared_instance() -> None:
    assert Contract.load() is Contract.load()


def test_problem_has_pointer_code_and_explanation(contract: Contract) -> None:
    body = copy.deepcopy(SCORED)
    body["result"]["consumers"][0]["attendance"] = "aanwezig"
    (problem,) = contract.check(body, 3).errors
    assert problem == Problem(
        pointer="/result/consumers/0/attendance",
        code="schema.enum",
        message=problem.message,
        severity="error",
        explanation=problem.explanation,
    )
    assert "'aanwezig'" in problem.message
    assert "Aanwezigheid" in problem.explanation and "notPresent" in problem.explanation


def test_missing_required_points_at_parent_and_names_field(contract: Contract) -> None:
    body = copy.deepcopy(SCORED)
    del body["result"]["weight"]
    (problem,) = contract.check(body, 3).errors
    assert (problem.code, problem.pointer) == ("schema.required", "/result")
    assert "'weight'" in problem.message and "Weging" in problem.explanation


def test_warnings_do_not_invalidate(contract: Contract) -> None:
    body = copy.deepcopy(SCORED)
    body["result"]["weight"] = 80
    verdict = contract.check(body, 3)
    assert verdict.valid
    assert [(w.code, w.pointer, w.severity) for w in verdict.warnings] == [
        ("weight-not-100", "/result/weight", "warning")
    ]


def test_rule_explanation_cites_spec(contract: Contract) -> None:
    body = copy.deepcopy(SCORED)
    body["result"]["consumers"][0]["rawScore"] = 41
    (problem,) = contract.check(body, 3).errors
    assert problem.code == "raw-score-above-max"
    assert "Tabel 4.3.D" in problem.explanation


@pytest.mark.parametrize(
    ("value_type", "good", "bad"),
    [
        ("0.0-10.0", "7.5", "voldoende"),
        ("pass-or-fail", "passed", "voldoende"),
        ("0-100", "100", "101"),
        ("referenceLevelRKTR", "Op weg naar 1F", "5F"),
        ("referenceLevelERK", "B2", "B3"),
        ("US letter", "B+", "E"),
        ("UK letter", "U", "H"),
        ("0-10", "10", "7.5"),
        ("insufficient-satisfactory-good", "good", "goed"),
    ],
)
def test_score_value_type_uses_context(contract: Contract, value_type: str, good: str, bad: str) -> None:
    ctx = RuleContext(result_value_type=value_type)
    body = copy.deepcopy(SCORED)
    body["result"]["score"] = good
    assert contract.check(body, 3, ctx).valid
    body["result"]["score"] = bad
    assert [(e.code, e.pointer) for e in contract.check(body, 3, ctx).errors] == [
        ("score-value-type", "/result/score")
    ]
    assert contract.check(body, 3).valid, "without context the score is not judged"


def test_every_result_value_type_is_handled() -> None:
    for value_type in RESULT_VALUE_TYPES:
        score_fits("1", value_type)
    with pytest.raises(ValueError):
        score_fits("1", "1.0-10.0")


def test_context_max_raw_score_and_assessor(contract: Contract) -> None:
    ctx = RuleContext(result_value_type="0.0-10.0", max_raw_score=30, assessor_required=True)
    verdict = contract.check(SCORED, 3, ctx)
    assert [(e.code, e.pointer) for e in verdict.errors] == [("assessor-missing", "/result/consumers/0")]
    assert [(w.code, w.pointer) for w in verdict.warnings] == [
        ("max-raw-score-mismatch", "/result/consumers/0/maxRawScore")
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "flow"),
    [
        ("PATCH", "/offerings/x", {}, 4),
        ("PUT", "/associations/x", {}, 5),
        ("PATCH", "/associations/x", {"consumers": [{"consumerKey": "nl-test-admin", "attempt": 1}]}, 5),
        (
            "PATCH",
            "/associations/x",
            {"consumers": [{"consumerKey": "nl-test-admin", "orgAssociationId": "a"}]},
            5,
        ),
        ("PATCH", "/associations/x", {"consumers": [{"consumerKey": "other", "attempt": 1}]}, 3),
        ("PATCH", "/associations/x", SCORED, 3),
        (None, None, {"offeringType": "component"}, 4),
        (None, None, SCORED, 3),
        (None, None, {"consumers": [{"consumerKey": "nl-test-admin", "attempt": 2}]}, 5),
    ],
)
def test_detect_flow(method: str | None, path: str | None, body: dict, flow: int) -> None:
    assert detect_flow(method, path, body) == flow


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"a": 1,}', 1, 9),
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3),
        ("", 1, 1),
        ("   \n", 1, 1),
        ("[1, 2]", 1, 1),
        ('"just a string"', 1, 1),
        ('{"a": NaN}', 1, 1),
        (b"\xff\xfe{", 1, 1),
    ],
)
def test_check_text_reports_json_syntax_with_position(
    contract: Contract, text: str, line: int, column: int
) -> None:
    body, verdict = contract.check_text(text, 3)
    assert not verdict.valid
    (problem,) = verdict.errors
    assert (problem.code, problem.pointer, problem.line, problem.column) == ("json-syntax", "", line, column)
    assert f"line {line}, column {column}" in problem.message


def test_check_text_parses_and_detects(contract: Contract) -> None:
    body, verdict = contract.check_text(json.dumps(SCORED).encode(), None, "PATCH", "/associations/abc")
    assert body == SCORED and verdict.valid and verdict.flow == 3


def test_put_id_must_match_path(contract: Contract) -> None:
    body = {"associationId": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"}
    verdict = contract.check(body, 5, method="PUT", path="/associations/e1f2a3b4-c5d6-4e7f-9a0b-1c2d3e4f5a6b")
    assert ("put-id-mismatch", "/associationId") in [(e.code, e.pointer) for e in verdict.errors]


def test_rejects_unknown_flow(contract: Contract) -> None:
    with pytest.raises(ValueError, match="flow must be 3, 4 or 5"):
        contract.check(SCORED, 6)


def test_problems_are_sorted_and_deterministic(contract: Contract) -> None:
    body = {
        "associationType": "x",
        "result": {
            "state": "y",
            "resultDate": "z",
            "weight": "w",
            "consumers": [{"consumerKey": "nl-test-admin", "final": 1}],
        },
    }
    first = contract.check(body, 3)
    second = Contract(contract.schemas).check(copy.deepcopy(body), 3)
    assert first == second
    assert [p.sort_key() for p in first.errors] == sorted(p.sort_key() for p in first.errors)
    assert len(first.errors) >= 5


def test_safe_to_share_between_threads(contract: Contract) -> None:
    bodies = []
    for n in range(200):
        body = copy.deepcopy(SCORED)
        body["result"]["consumers"][0]["rawScore"] = n % 50  # 41..49 are above the maximum
        bodies.append(body)
    expected = [contract.check(b, 3) for b in bodies]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda b: contract.check(b, 3), bodies))
    assert got == expected
    assert sum(not v.valid for v in got) == 4 * 9


def test_rule_table_is_complete() -> None:
    for code, rule in RULES.items():
        assert code == rule.code and rule.severity in ("error", "warning")
        assert rule.source and rule.fix and rule.summary and set(rule.flows) <= {3, 4, 5}
