"""The conformance pack: every message, via the API and via `oke validate`, gives its manifest outcome."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import yaml

from oke_core.contract import RULES, Contract, RuleContext
from oke_core.contract.context import load_context
from oke_core.contract.runner import check_message
from oke_core.contract.schemas import walk_schema
from oke_core.contract.sources import read_file

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "conformance"
MANIFEST = yaml.safe_load((PACK / "manifest.yaml").read_text(encoding="utf-8"))
OKE = (
    [str(ROOT / ".venv" / "bin" / "oke")]
    if (ROOT / ".venv/bin/oke").exists()
    else [sys.executable, "-m", "oke.cli"]
)


def _outcome(valid: bool, errors: list, warnings: list) -> tuple:
    return (
        valid,
        sorted((e["code"], e["pointer"]) for e in errors),
        sorted((w["code"], w["pointer"]) for w in warnings),
    )


def _expected(entry: dict) -> tuple:
    e = entry["expect"]
    return _outcome(e["valid"], e["errors"], e["warnings"])


def test_pack_is_big_enough_and_well_formed() -> None:
    assert len(MANIFEST) >= 40
    files = {e["file"] for e in MANIFEST}
    assert len(files) == len(MANIFEST)
    on_disk = {f"messages/{p.name}" for p in (PACK / "messages").glob("*.json")}
    assert on_disk == files
    assert sum(e["expect"]["valid"] for e in MANIFEST) >= 15
    assert sum(not e["expect"]["valid"] for e in MANIFEST) >= 40


def test_pack_is_generated_reproducibly(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(PACK / "generate.py"), str(tmp_path)], check=True, capture_output=True
    )
    for name in ("manifest.yaml", "context.yaml"):
        assert (tmp_path / name).read_bytes() == (PACK / name).read_bytes()
    for entry in MANIFEST:
        assert (tmp_path / entry["file"]).read_bytes() == (PACK / entry["file"]).read_bytes(), entry["file"]


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_pack_message_via_api(contract: Contract, entry: dict) -> None:
    contexts = load_context(PACK / "context.yaml")
    (message,) = list(read_file(PACK / entry["file"]))
    verdict = check_message(contract, message, None, contexts)[1]
    got = _outcome(
        verdict.valid, [p.to_dict() for p in verdict.errors], [p.to_dict() for p in verdict.warnings]
    )
    assert got == _expected(entry)
    if entry["kind"] != "raw" and not any(e["code"] == "envelope-invalid" for e in entry["expect"]["errors"]):
        assert verdict.flow == entry["flow"]


@pytest.mark.parametrize(
    "entry",
    [e for e in MANIFEST if e["kind"] != "envelope"],
    ids=[e["file"] for e in MANIFEST if e["kind"] != "envelope"],
)
def test_pack_as_a_vendor_uses_it(contract: Contract, entry: dict) -> None:
    """Raw body + the manifest's flow/method/path/context is all a vendor's validator gets."""
    text = (PACK / entry["file"]).read_bytes()
    ctx = RuleContext(**entry["context"]) if "context" in entry else None
    _, verdict = contract.check_text(text, entry["flow"], entry.get("method"), entry.get("path"), ctx)
    got = _outcome(
        verdict.valid, [p.to_dict() for p in verdict.errors], [p.to_dict() for p in verdict.warnings]
    )
    assert got == _expected(entry)


def test_pack_via_cli_json() -> None:
    proc = subprocess.run(
        [
            *OKE,
            "validate",
            "--format",
            "json",
            "--context",
            "conformance/context.yaml",
            "conformance/messages",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    rows = {Path(r["source"]).name: r for r in json.loads(proc.stdout)}
    assert len(rows) == len(MANIFEST)
    for entry in MANIFEST:
        row = rows[Path(entry["file"]).name]
        assert set(row) == {"source", "flow", "valid", "errors", "warnings"}
        assert _outcome(row["valid"], row["errors"], row["warnings"]) == _expected(entry), entry["file"]


def test_pack_via_cli_junit_and_text() -> None:
    proc = subprocess.run(
        [
            *OKE,
            "validate",
            "--format",
            "junit",
            "--context",
            "conformance/context.yaml",
            "conformance/messages",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    suite = ET.fromstring(proc.stdout).find("testsuite")
    cases = suite.findall("testcase")
    invalid = sum(not e["expect"]["valid"] for e in MANIFEST)
    assert len(cases) == len(MANIFEST) and int(suite.get("failures")) == invalid
    assert sum(c.find("failure") is not None for c in cases) == invalid
    proc = subprocess.run(
        [*OKE, "validate", "--context", "conformance/context.yaml", "conformance/messages"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith(f"{len(MANIFEST)} message(s): {len(MANIFEST) - invalid} valid, {invalid} invalid;")


def test_valid_pack_messages_pass_cli_with_exit_0() -> None:
    valid = [e["file"] for e in MANIFEST if e["expect"]["valid"]]
    proc = subprocess.run(
        [*OKE, "validate", "--context", "conformance/context.yaml", *[f"conformance/{f}" for f in valid]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout


def test_pack_covers_every_rule() -> None:
    expected = {f["code"] for e in MANIFEST for f in e["expect"]["errors"] + e["expect"]["warnings"]}
    assert set(RULES) <= expected
    assert {
        "json-syntax",
        "envelope-invalid",
        "schema.required",
        "schema.enum",
        "schema.format",
        "schema.type",
        "schema.contains",
        "schema.minimum",
        "schema.maximum",
    } <= expected


def _bodies(valid: bool) -> list[tuple[dict, dict]]:
    out = []
    for entry in MANIFEST:
        if entry["kind"] == "raw" or entry["expect"]["valid"] != valid:
            continue
        data = json.loads((PACK / entry["file"]).read_text(encoding="utf-8"))
        body = data.get("body") if entry["kind"] == "envelope" else data
        if isinstance(body, dict):
            out.append((entry, body))
    return out


def _values(node: object, parts: list[str]) -> list[object]:
    if not parts:
        return [node]
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [v for item in node for v in _values(item, rest)] if isinstance(node, list) else []
    if isinstance(node, list) and head.isdigit():
        return _values(node[int(head)], rest) if int(head) < len(node) else []
    return _values(node[head], rest) if isinstance(node, dict) and head in node else []


def test_pack_covers_every_enum_value(contract: Contract) -> None:
    wanted: set[tuple[str, object]] = set()
    for key in contract.schemas.roots:
        walk_schema(
            contract.schemas,
            key,
            lambda node, ptr: wanted.update((ptr, v) for v in node.get("enum", []) if v is not None),
        )
    seen = {
        (ptr, v) for _, body in _bodies(True) for ptr, _ in wanted for v in _values(body, ptr.split("/")[1:])
    }
    assert sorted(wanted - seen, key=str) == []


def test_pack_covers_every_required_field(contract: Contract) -> None:
    wanted: set[tuple[str, str]] = set()
    for key in contract.schemas.roots:
        walk_schema(
            contract.schemas, key, lambda node, ptr: wanted.update((ptr, f) for f in node.get("required", []))
        )
    covered = set()
    for entry, body in _bodies(False):
        for finding in entry["expect"]["errors"]:
            if finding["code"] != "schema.required":
                continue
            parent = finding["pointer"]
            pattern = "/".join("*" if t.isdigit() else t for t in parent.split("/"))
            node = _values(body, parent.split("/")[1:])
            for ptr, field in wanted:
                if ptr == pattern and node and isinstance(node[0], dict) and field not in node[0]:
                    covered.add((ptr, field))
    assert sorted(wanted - covered) == []
