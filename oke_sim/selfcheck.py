"""Check a simulator output folder against the contract: valid messages pass, injected faults fail.

This is the simulator's own guarantee to the chain (every message it calls valid passes
`oke validate`), kept off the generation path because validation costs more than generation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson

CONTRACT_FAULTS = {"broken_json": "json-syntax", "schema_violation": None}


@dataclass
class SelfCheck:
    checked: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _jsonl(path: Path) -> list[dict]:
    with open(path, "rb") as f:
        return [orjson.loads(line) for line in f if line.strip()]


def self_check(out_dir: Path, limit_failures: int = 50) -> SelfCheck:
    from oke_core.contract import Contract, RuleContext, detect_flow

    contract = Contract.load()
    faults: dict[str, set[str]] = {}
    for t in _jsonl(out_dir / "truth.jsonl"):
        if t["kind"] == "fault":
            faults.setdefault(t["message_id"], set()).add(t["fault"])
    comps = {c["component_id"]: c for c in _jsonl(out_dir / "planning" / "components.jsonl")}
    offering_ctx: dict[str, RuleContext] = {}
    for o in _jsonl(out_dir / "planning" / "offerings.jsonl"):
        comp = comps[o["component_id"]]
        max_raw = next(
            v["max_raw_score"] for v in comp["versions"] if v["exam_version_id"] == o["exam_version_id"]
        )
        offering_ctx[o["offering_id"]] = RuleContext(
            comp["result_value_type"], max_raw, comp["assessor_required"]
        )
    assoc_ctx = {
        a["association_id"]: offering_ctx[a["offering_id"]]
        for a in _jsonl(out_dir / "planning" / "associations.jsonl")
    }
    report = SelfCheck()
    with open(out_dir / "messages.jsonl", "rb") as f:
        for line in f:
            env = orjson.loads(line)
            report.checked += 1
            kinds = faults.get(env["message_id"], set())
            ident = env["path"].rsplit("/", 1)[-1]
            ctx = assoc_ctx.get(ident)
            if "body_text" in env:
                _, verdict = contract.check_text(env["body_text"], None, env["method"], env["path"], ctx)
                if "broken_json" not in kinds or [p.code for p in verdict.errors] != ["json-syntax"]:
                    report.failures.append(f"{env['message_id']}: body_text without a json-syntax verdict")
                continue
            flow = detect_flow(env["method"], env["path"], env["body"])
            verdict = contract.check(env["body"], flow, ctx, method=env["method"], path=env["path"])
            if "schema_violation" in kinds:
                if verdict.valid:
                    report.failures.append(f"{env['message_id']}: schema violation passes the contract")
            elif not verdict.valid:
                codes = ", ".join(f"{p.code} at {p.pointer or '/'}" for p in verdict.errors)
                report.failures.append(f"{env['message_id']}: valid message rejected: {codes}")
            if len(report.failures) >= limit_failures:
                break
    return report
