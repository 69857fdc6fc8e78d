"""Helpers for the simulator tests: read a simulator output folder."""

from __future__ import annotations

from pathlib import Path

import orjson

from oke_sim.simulation import Summary


def read_jsonl(path: Path) -> list[dict]:
    with open(path, "rb") as f:
        return [orjson.loads(line) for line in f]


class SimOut:
    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self.dir = summary.out_dir

    def jsonl(self, name: str) -> list[dict]:
        return read_jsonl(self.dir / name)

    def planning(self, name: str) -> list[dict]:
        return read_jsonl(self.dir / "planning" / f"{name}.jsonl")

    def results(self) -> list[dict]:
        return [t for t in self.jsonl("truth.jsonl") if t["kind"] == "result"]

    def faults(self) -> list[dict]:
        return [t for t in self.jsonl("truth.jsonl") if t["kind"] == "fault"]
