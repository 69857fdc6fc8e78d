"""The exam context file of `--context` and message reading: clear errors, envelope rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from oke_core.contract import RuleContext
from oke_core.contract.context import ContextError, load_context, parse_context
from oke_core.contract.sources import SourceError, from_bytes, read_messages

AID = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


def test_lookup_by_path_body_and_default() -> None:
    ctx = parse_context(f'{{"{AID}": {{"result_value_type": "0-10"}}, "*": {{"max_raw_score": 5}}}}')
    assert ctx.lookup(f"/associations/{AID}", {}) == RuleContext(result_value_type="0-10")
    assert ctx.lookup(None, {"associationId": AID}) == RuleContext(result_value_type="0-10")
    assert ctx.lookup("/associations/other", {}) == RuleContext(max_raw_score=5)
    assert parse_context("").lookup(None, {}) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1", r"<context>:1:6: not valid YAML/JSON"),
        ("- 1\n", r"must be a mapping of association/offering ids"),
        ("x: 3\n", r"<context>:1: /x: must be a mapping"),
        ("a: {}\nx: {colour: red}\n", r"<context>:2: /x/colour: unknown field"),
        ("x:\n  max_raw_score: -1\n", r"/x/max_raw_score: must be a whole number of at least 0"),
        ("x:\n  max_raw_score: true\n", r"/x/max_raw_score: must be a whole number"),
        ("x:\n  assessor_required: 'yes'\n", r"/x/assessor_required: must be true or false"),
    ],
)
def test_context_errors_name_line_pointer_and_rule(text: str, message: str) -> None:
    with pytest.raises(ContextError, match=message):
        parse_context(text)


def test_unreadable_context_file(tmp_path: Path) -> None:
    with pytest.raises(ContextError, match="cannot read"):
        load_context(tmp_path / "missing.yaml")


def test_envelope_and_bare_body_reading() -> None:
    bare = from_bytes("f.json", b'{"associationType": "componentOfferingAssociation"}')
    assert bare.body == {"associationType": "componentOfferingAssociation"} and bare.method is None
    env = from_bytes(
        "f.jsonl:3",
        b'{"message_id": "m-1", "method": "PUT", "path": "/associations/a", "flow": 5, "body": {"x": 1}}',
    )
    assert (env.source, env.method, env.path, env.flow, env.message_id, env.body) == (
        "f.jsonl:3",
        "PUT",
        "/associations/a",
        5,
        "m-1",
        {"x": 1},
    )
    text = from_bytes("f.json", b'{"method": "PATCH", "path": "/offerings/o", "body_text": "{oops"}')
    assert text.text == "{oops" and text.body is None
    broken = from_bytes("f.json", b'{"a": 1,}')
    assert broken.text == '{"a": 1,}'
    bad_flow = from_bytes("f.json", b'{"method": "PATCH", "flow": 7, "body": {}}')
    assert bad_flow.envelope_problem is not None and bad_flow.envelope_problem.code == "envelope-invalid"


def test_missing_path_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or directory"):
        list(read_messages([tmp_path / "nope.jsonl"]))
