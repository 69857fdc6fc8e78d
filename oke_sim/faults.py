"""Faults a vendor's test system really makes, and what a correct chain must do with each.

The truth is exact: each injected fault is recorded with the outcome a correct KRS produces.
Schema violations come from the conformance pack's defect catalogue (JSON Patch on a valid body).
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import jsonpatch
import orjson
import yaml

FAULT_ORDER = (
    "duplicate",
    "out_of_order",
    "broken_json",
    "schema_violation",
    "unknown_association",
    "wrong_student",
    "wrong_component",
    "late_delivery",
)
EXPECTED = {
    "duplicate": "duplicate",
    "out_of_order": "applied",
    "late_delivery": "applied",
    "broken_json": "quarantined:json-syntax",
    "schema_violation": "quarantined:invalid",
    "unknown_association": "quarantined:unknown-association",
    "wrong_student": "quarantined:wrong-student",
    "wrong_component": "quarantined:wrong-component",
}
REJECTED = frozenset(k for k, v in EXPECTED.items() if v.startswith("quarantined"))
CATALOGUE = Path(__file__).resolve().parent.parent / "conformance" / "defects.yaml"
FALLBACK_CATALOGUE = Path(__file__).resolve().parent / "fallback_defects.yaml"

# Which faults each kind of delivery can carry (see docs/simulator.md, "Faults").
SCORED_FAULTS = frozenset(FAULT_ORDER) - {"out_of_order"}
FOLLOW_UP_FAULTS = SCORED_FAULTS - {"late_delivery"}  # corrections, definitive results: no deadline to breach
ATTENDANCE_FAULTS = frozenset({"duplicate", "out_of_order"})
PLAIN_FAULTS = frozenset({"duplicate"})
REPORT_FAULTS = frozenset({"duplicate", "broken_json"})


def draw_fault(rng: random.Random, rates: dict[str, float], eligible: frozenset[str]) -> str | None:
    """At most one fault per delivery; a rate is the share of eligible deliveries that get it."""
    x = rng.random()
    acc = 0.0
    for kind in FAULT_ORDER:
        acc += rates[kind]
        if x < acc:
            return kind if kind in eligible else None
    return None


class DefectCatalogue:
    """Flow-3 defects that make a valid body invalid, applicable to a scored result."""

    def __init__(self, path: Path | None = None) -> None:
        path = path or (CATALOGUE if CATALOGUE.exists() else FALLBACK_CATALOGUE)
        self.path = path
        entries = (
            yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            or []
        )
        self.defects = [
            d
            for d in entries
            if d.get("flow") == 3
            and d.get("shape", "any") in ("scored", "any")
            and not (d.get("expect") or {}).get("valid", False)
        ]
        self.defects.sort(key=lambda d: d["id"])

    def apply(self, body: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], str] | None:
        order = list(range(len(self.defects)))
        rng.shuffle(order)
        for i in order:
            defect = self.defects[i]
            try:
                mutated = jsonpatch.apply_patch(copy.deepcopy(body), defect["patch"])
            except (
                jsonpatch.JsonPatchException,
                jsonpatch.JsonPointerException,
                KeyError,
                IndexError,
                TypeError,
            ):
                continue
            if mutated != body:
                return mutated, defect["id"]
        return None


def break_json(body: object, rng: random.Random) -> tuple[str, str]:
    """Raw text with a syntax error of a kind seen in the published OKE examples."""
    text = orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    lines = text.split("\n")
    for _ in range(10):
        style = rng.choice(("missing-comma", "trailing-comma", "truncated"))
        if style == "truncated":
            broken = text[: rng.randint(len(text) // 3, len(text) - 2)]
        else:
            candidates = [
                i
                for i, line in enumerate(lines[:-1])
                if (
                    line.endswith(",")
                    if style == "missing-comma"
                    else not line.endswith((",", "{", "[")) and lines[i + 1].strip() in ("}", "]", "},", "],")
                )
            ]
            if not candidates:
                continue
            i = rng.choice(candidates)
            changed = list(lines)
            changed[i] = changed[i][:-1] if style == "missing-comma" else changed[i] + ","
            broken = "\n".join(changed)
        try:
            orjson.loads(broken)
        except orjson.JSONDecodeError:
            return broken, style
    return text[: len(text) // 2], "truncated"
