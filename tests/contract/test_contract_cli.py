"""`oke validate` as a user runs it: exit codes, formats, sources, envelopes, context, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

ROOT = Path(__file__).resolve().parents[2]
OKE = (
    [str(ROOT / ".venv" / "bin" / "oke")]
    if (ROOT / ".venv/bin/oke").exists()
    else [sys.executable, "-m", "oke.cli"]
)
AID = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
VALID = {
    "associationType": "componentOfferingAssociation",
    "result": {
        "state": "in progress",
        "resultDate": "2026-09-14",
        "consumers": [{"consumerKey": "nl-test-admin", "attendance": "present"}],
    },
}
SCORED = {
    "associationType": "componentOfferingAssociation",
    "result": {
        "state": "completed",
        "resultDate": "2026-09-21",
        "score": "8",
        "weight": 100,
        "consumers": [{"consumerKey": "nl-test-admin", "attendance": "present"}],
    },
}


def oke(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*OKE, "validate", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def envelope(body: object = None, **extra: object) -> str:
    env = {
        "message_id": "m-1",
        "sent_at": "2026-09-14T10:00:00Z",
        "method": "PATCH",
        "path": f"/associations/{AID}",
        **extra,
    }
    if "body_text" not in extra:
        env["body"] = body
    return json.dumps(env)


@pytest.fixture
def stream(tmp_path: Path) -> Path:
    path = tmp_path / "messages.jsonl"
    path.write_text(
        "\n".join(
            [
                envelope(VALID),
                envelope(body_text='{"associationType": "componentOfferingAssociation",\n "result": {}'),
                "",
                json.dumps(VALID | {"associationType": "courseOfferingAssociation"}),
                envelope(SCORED),
            ]
        )
        + "\n"
    )
    return path


def test_valid_file_exits_0(tmp_path: Path) -> None:
    (tmp_path / "ok.json").write_text(json.dumps(VALID))
    proc = oke(str(tmp_path / "ok.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "1 message(s): 1 valid, 0 invalid; 0 error(s), 0 warning(s)"


def test_jsonl_sources_have_line_numbers_and_blank_lines_are_skipped(stream: Path) -> None:
    proc = oke("--format", "json", str(stream))
    assert proc.returncode == 1
    rows = json.loads(proc.stdout)
    assert [r["source"] for r in rows] == [f"{stream}:{n}" for n in (1, 2, 4, 5)]
    assert [r["valid"] for r in rows] == [True, False, False, True]
    syntax = rows[1]["errors"][0]
    assert (syntax["code"], syntax["pointer"], syntax["line"], syntax["column"]) == ("json-syntax", "", 2, 14)
    assert rows[2]["errors"] == [
        {"code": "schema.enum", "pointer": "/associationType", "message": rows[2]["errors"][0]["message"]}
    ]


def test_text_format_explains_each_problem(stream: Path) -> None:
    proc = oke(str(stream))
    assert proc.returncode == 1
    assert f"{stream}:4: error: /associationType: [schema.enum]" in proc.stdout
    assert "componentOfferingAssociation" in proc.stdout and "Fix:" in proc.stdout
    assert f"{stream}:2: error: (whole body): [json-syntax]" in proc.stdout
    assert proc.stdout.rstrip().endswith("4 message(s): 2 valid, 2 invalid; 2 error(s), 0 warning(s)")


def test_junit_has_one_case_per_message(stream: Path) -> None:
    proc = oke("--format", "junit", str(stream))
    root = ET.fromstring(proc.stdout)
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == [f"{stream}:{n}" for n in (1, 2, 4, 5)]
    assert [c.find("failure") is not None for c in cases] == [False, True, True, False]
    assert root.get("tests") == "4" and root.get("failures") == "2"


def test_output_is_deterministic(stream: Path) -> None:
    assert oke("--format", "json", str(stream)).stdout == oke("--format", "json", str(stream)).stdout


def test_directory_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.json").write_text(json.dumps(VALID))
    (tmp_path / "a.json").write_text("{")
    (tmp_path / "notes.txt").write_text("not a message")
    proc = oke("--format", "json", str(tmp_path))
    assert [Path(r["source"]).name for r in json.loads(proc.stdout)] == ["a.json", "z.json"]


def test_an_export_that_came_out_empty_is_not_all_valid(tmp_path: Path) -> None:
    """Empty or blank files and folders without messages are named; nothing at all is exit 2."""
    (tmp_path / "export.jsonl").write_text("\n\n")
    (tmp_path / "none").mkdir()
    proc = oke(str(tmp_path / "export.jsonl"), str(tmp_path / "none"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"warning: {tmp_path / 'export.jsonl'}: no messages" in proc.stderr
    assert f"warning: {tmp_path / 'none'}: no .json or .jsonl files" in proc.stderr
    assert "nothing validated" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "none" / "ok.json").write_text(json.dumps(VALID))
    proc = oke("--format", "json", str(tmp_path / "export.jsonl"), str(tmp_path / "none"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r["valid"] for r in json.loads(proc.stdout)] == [True]  # stdout stays one JSON document
    assert "export.jsonl: no messages" in proc.stderr and "none: no .json" not in proc.stderr


def test_forced_flow(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(json.dumps(VALID))
    rows = json.loads(oke("--format", "json", "--flow", "5", str(tmp_path / "m.json")).stdout)
    assert rows[0]["flow"] == 5 and not rows[0]["valid"]
    assert ("schema.required", "") in [(e["code"], e["pointer"]) for e in rows[0]["errors"]]


@pytest.mark.parametrize("args", [["--flow", "6"], ["--format", "xml"], ["/does/not/exist.json"]])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "m.json").write_text(json.dumps(VALID))
    proc = oke(*args, *([str(tmp_path / "m.json")] if "/does/not/exist.json" not in args else []))
    assert proc.returncode == 2
    assert proc.stderr.startswith("oke validate: ") and "Traceback" not in proc.stderr


def test_context_file_is_applied_and_checked(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").write_text(
        envelope(SCORED | {"result": SCORED["result"] | {"score": "goed"}}) + "\n"
    )
    ctx = tmp_path / "context.yaml"
    ctx.write_text(
        f"{AID}:\n  result_value_type: '0.0-10.0'\n  max_raw_score: 40\n  assessor_required: false\n"
    )
    rows = json.loads(oke("--format", "json", "--context", str(ctx), str(tmp_path / "m.jsonl")).stdout)
    assert [(e["code"], e["pointer"]) for e in rows[0]["errors"]] == [("score-value-type", "/result/score")]
    ctx.write_text(f"'*': {{}}\n{AID}:\n  result_value_type: '1.0-10.0'\n")
    proc = oke("--context", str(ctx), str(tmp_path / "m.jsonl"))
    assert proc.returncode == 2
    assert f"{ctx}:2: /{AID}/result_value_type: '1.0-10.0' is not an OKE result value type" in proc.stderr


def test_envelope_errors_are_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").write_text(
        json.dumps({"method": "GET", "path": "/associations/x", "body": VALID})
        + "\n"
        + json.dumps({"method": "PATCH", "path": "/associations/x", "body": VALID, "body_text": "{}"})
        + "\n"
        + json.dumps({"method": "PATCH", "path": "/associations/x", "body": [1]})
        + "\n"
    )
    rows = json.loads(oke("--format", "json", str(tmp_path / "m.jsonl")).stdout)
    assert [r["errors"][0]["code"] for r in rows] == ["envelope-invalid", "envelope-invalid", "json-syntax"]


def test_help_lists_options() -> None:
    proc = subprocess.run([*OKE, "validate", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for option in ("--flow", "--format", "--context"):
        assert option in proc.stdout


def test_bytes_that_are_not_utf8_are_a_syntax_error_not_replaced(tmp_path: Path) -> None:
    latin1 = json.dumps(VALID | {"comment": "caf\u00e9"}, ensure_ascii=False).encode("latin-1")
    column = latin1.index(b"\xe9") + 1
    (tmp_path / "one.json").write_bytes(latin1)
    (tmp_path / "many.jsonl").write_bytes(json.dumps(VALID).encode() + b"\n" + latin1 + b"\n")
    proc = oke("--format", "json", str(tmp_path / "one.json"), str(tmp_path / "many.jsonl"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = {r["source"]: r for r in json.loads(proc.stdout)}
    assert rows[f"{tmp_path / 'many.jsonl'}:1"]["valid"] is True
    for source in (str(tmp_path / "one.json"), f"{tmp_path / 'many.jsonl'}:2"):
        assert rows[source]["valid"] is False, source
        (error,) = rows[source]["errors"]
        assert (error["code"], error["line"], error["column"]) == ("json-syntax", 1, column)
        assert "not UTF-8" in error["message"]
    text = oke(str(tmp_path / "many.jsonl")).stdout
    assert f"{tmp_path / 'many.jsonl'}:2: error: (whole body): [json-syntax] the body is not UTF-8" in text


def test_a_byte_order_mark_is_read_past_as_ingest_does(tmp_path: Path) -> None:
    """A file saved by a Windows editor starts with a UTF-8 BOM: its first envelope is still an
    envelope (it used to be checked as a bare body and fail on 'associationType'), in .jsonl and .json."""
    bom = b"\xef\xbb\xbf"
    stream = tmp_path / "export.jsonl"
    stream.write_bytes(bom + f"{envelope(VALID)}\n{envelope(SCORED, message_id='m-2')}\n".encode())
    single = tmp_path / "one.json"
    single.write_bytes(bom + envelope(SCORED).encode())
    r = oke(str(stream), str(single), "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert [(m["source"], m["valid"], m["flow"]) for m in out] == [
        (f"{stream}:1", True, 3),
        (f"{stream}:2", True, 3),
        (str(single), True, 3),
    ]


def test_a_json_array_of_messages_names_the_jsonl_way(tmp_path: Path) -> None:
    many = tmp_path / "export.json"
    many.write_text(json.dumps([json.loads(envelope(VALID)), json.loads(envelope(SCORED))]))
    r = oke(str(many))
    assert r.returncode == 1
    assert "a JSON array of 2 objects, and a .json file is one message" in r.stdout
    assert "jq -c '.[]' export.json > messages.jsonl" in r.stdout.replace("\n    ", " ")
    assert "Traceback" not in r.stderr
    lone = tmp_path / "list.json"  # an array that is not a list of messages keeps the body error
    lone.write_text("[1, 2]")
    assert "must be a JSON object, not an array" in oke(str(lone)).stdout


def test_a_nul_character_in_a_body_is_reported_as_ingest_quarantines_it(tmp_path: Path) -> None:
    """Valid JSON that KRS cannot store: validate names file, line, pointer and rule, as the
    store's quarantine does; a literal backslash-u0000 text (no NUL) stays valid."""
    with_nul = json.loads(json.dumps(SCORED))
    with_nul["result"]["consumers"][0]["assessorCode"] = "A\u0000B"
    text_nul = json.dumps(VALID).replace('"present"', '"pres\\u0000ent"')
    lookalike = json.loads(json.dumps(SCORED))
    lookalike["result"]["consumers"][0]["assessorCode"] = "A\\u0000B"  # a backslash, not a NUL
    stream = tmp_path / "export.jsonl"
    stream.write_text(
        "\n".join(
            [
                envelope(with_nul),
                envelope(body_text=text_nul, message_id="m-2"),
                envelope(lookalike, message_id="m-3"),
            ]
        )
        + "\n"
    )
    single = tmp_path / "one.json"
    single.write_text(envelope(with_nul))
    r = oke(str(stream), str(single), "--format", "json")
    assert r.returncode == 1, r.stdout + r.stderr
    found = {m["source"]: [(e["pointer"], e["code"]) for e in m["errors"]] for m in json.loads(r.stdout)}
    assert found[f"{stream}:1"] == [("/result/consumers/0/assessorCode", "nul-character")]
    assert ("/result/consumers/0/attendance", "nul-character") in found[f"{stream}:2"]  # and the enum
    assert found[f"{stream}:3"] == []
    assert found[str(single)] == [("/result/consumers/0/assessorCode", "nul-character")]
    text = oke(str(stream)).stdout
    assert f"{stream}:1: error: /result/consumers/0/assessorCode: [nul-character]" in text
    assert "Traceback" not in text
