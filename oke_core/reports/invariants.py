"""The process invariants a rehearsal must satisfy; Dagster asset checks and summary.json use these.

Each compares two independent sources (the simulator's files against the store, or one store
table against another) so that a check can actually fail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from oke_core.policy import Policy
from oke_core.reports.counts import message_outcomes, numeric_grade
from oke_core.reports.files import read_jsonl
from oke_core.reports.lookups import Lookups, day_of, iso
from oke_core.store import Store, models

MAX_EXAMPLES = 10


@dataclass
class Invariant:
    name: str
    passed: bool
    description: str
    detail: str
    counts: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "detail": self.detail,
            "counts": self.counts,
            "examples": self.examples,
        }


class _Examples:
    """Counts violations and keeps the first few as examples."""

    def __init__(self) -> None:
        self.n = 0
        self.items: list[dict[str, Any]] = []

    def add(self, item: dict[str, Any]) -> None:
        self.n += 1
        if len(self.items) < MAX_EXAMPLES:
            self.items.append(item)


def _truth(sim_dir: Path, kind: str) -> Iterator[dict[str, Any]]:
    path = sim_dir / "truth.jsonl"
    if path.is_file():
        for row in read_jsonl(path):
            if row.get("kind") == kind:
                yield row


def _source_messages(sim_dir: Path) -> int:
    """Messages the senders delivered: the simulated stream plus any inbox deliveries."""
    n = 0
    path = sim_dir / "messages.jsonl"
    if path.is_file():
        with path.open("rb") as fh:
            n += sum(1 for line in fh if line.strip())
    for report in sorted((sim_dir / "inbox").glob("*.report.json")) if (sim_dir / "inbox").is_dir() else []:
        import json

        n += int(json.loads(report.read_text(encoding="utf-8"))["counts"]["received"])
    return n


def nothing_lost(store: Store, policy: Policy, sim_dir: Path) -> Invariant:
    outcomes = message_outcomes(store)
    received = sum(len(v) for v in outcomes.values())
    tally: dict[str, int] = defaultdict(int)
    for seen in outcomes.values():
        for outcome, _reason in seen:
            tally[outcome] += 1
    applied, duplicates, quarantined = tally["applied"], tally["duplicate"], tally["quarantined"]
    unknown = received - applied - duplicates - quarantined
    stored = store.count(models.QuarantineItem)
    source = _source_messages(sim_dir)
    counts = {
        "sent": source,
        "received": received,
        "applied": applied,
        "duplicates": duplicates,
        "quarantined": quarantined,
        "without_outcome": unknown,
        "quarantine_items": stored,
    }
    passed = unknown == 0 and source == received and stored == quarantined
    detail = (
        f"sent {source}, received {received} = applied {applied} + duplicates {duplicates} + "
        f"quarantined {quarantined}"
        + ("" if unknown == 0 else f" (+{unknown} without an outcome)")
        + ("" if stored == quarantined else f"; {stored} quarantine items stored")
    )
    return Invariant("nothing_lost", passed, "received = applied + duplicates + quarantined", detail, counts)


def faults_caught(store: Store, policy: Policy, sim_dir: Path) -> Invariant:
    outcomes = message_outcomes(store)
    quarantine = defaultdict(set)
    for q in store.rows(models.QuarantineItem):
        quarantine[q["message_id"]].add(q["reason"])
    bad = _Examples()
    total = 0
    for fault in _truth(sim_dir, "fault"):
        total += 1
        mid, expected = fault["message_id"], fault["expected"]
        seen = outcomes.get(mid, [])
        if expected == "duplicate":
            ok = any(o == "duplicate" for o, _ in seen)
        elif expected == "applied":
            ok = any(o == "applied" for o, _ in seen)
        elif expected.startswith("quarantined:"):
            ok = expected.split(":", 1)[1] in quarantine.get(mid, set())
        else:
            ok = False
        if not ok:
            got = ", ".join(f"{o}:{r}" if r else o for o, r in seen) or "never received"
            bad.add({"message_id": mid, "fault": fault["fault"], "expected": expected, "got": got})
    return Invariant(
        "faults_caught",
        bad.n == 0,
        "every injected fault ended as the truth expects",
        f"{total - bad.n} of {total} injected faults caught as expected",
        {"faults": total, "missed": bad.n},
        bad.items,
    )


def _released_cut_scores(store: Store) -> dict[str, date | None]:
    """Exam version -> the day its (valid) cut score was released."""
    return {c["exam_version_id"]: day_of(c["released_at"]) for c in store.rows(models.CutScore) if c["valid"]}


def no_definitive_before_cut_score(store: Store, policy: Policy, sim_dir: Path) -> Invariant:
    look = Lookups.load(store)
    released = _released_cut_scores(store)
    bad = _Examples()
    checked = 0
    for r in store.rows(models.Result):
        comp = look.component(r["component_id"])
        if r["variant"] != 1 or not comp.get("cut_score_required") or r["definitive_on"] is None:
            continue
        checked += 1
        known, rel = r["cut_score_known_on"], released.get(r["exam_version_id"])
        if known is None or rel is None or known > r["definitive_on"] or rel > r["definitive_on"]:
            bad.add(
                {
                    "association_id": r["association_id"],
                    "component_code": comp["code"],
                    "definitive_on": iso(r["definitive_on"]),
                    "cut_score_known_on": iso(known),
                    "cut_score_released_on": iso(rel),
                }
            )
    return Invariant(
        "no_definitive_before_cut_score",
        bad.n == 0,
        "variant 1: definitive only after the cut score was released",
        f"{checked - bad.n} of {checked} definitive variant-1 results came after their cut score",
        {"definitive_variant1": checked, "violations": bad.n},
        bad.items,
    )


def no_wait_for_a_released_cut_score(store: Store, policy: Policy, sim_dir: Path) -> Invariant:
    """The other side of the cut-score rule: a result that waits for a cut score KRS holds is stuck."""
    look = Lookups.load(store)
    released = _released_cut_scores(store)
    bad = _Examples()
    waiting = 0
    for r in store.rows(models.Result):
        if r["status"] != "awaiting_cut_score":
            continue
        waiting += 1
        rel = released.get(r["exam_version_id"])
        if rel is not None:
            bad.add(
                {
                    "association_id": r["association_id"],
                    "component_code": look.component(r["component_id"])["code"],
                    "attendance": r["attendance"],
                    "raw_score": r["raw_score"],
                    "cut_score_released_on": iso(rel),
                }
            )
    return Invariant(
        "no_wait_for_a_released_cut_score",
        bad.n == 0,
        "variant 1: no result waits for a cut score that was released",
        f"{waiting - bad.n} of {waiting} results waiting for a cut score have none released yet",
        {"waiting": waiting, "violations": bad.n},
        bad.items,
    )


def no_definitive_before_complaint_window(store: Store, policy: Policy, sim_dir: Path) -> Invariant:
    name = "no_definitive_before_complaint_window"
    if not policy.complaint_window_working_days:
        return Invariant(
            name,
            True,
            "definitive only after the complaint window closed",
            f"policy {policy.name} has no complaint window",
            {"checked": 0, "violations": 0},
        )
    bad = _Examples()
    checked = 0
    for r in store.rows(models.Result):
        if r["definitive_on"] is None or r["early_by"] is not None:
            continue
        checked += 1
        if r["complaint_deadline"] is None or r["definitive_on"] <= r["complaint_deadline"]:
            bad.add(
                {
                    "association_id": r["association_id"],
                    "definitive_on": iso(r["definitive_on"]),
                    "complaint_deadline": iso(r["complaint_deadline"]),
                }
            )
    return Invariant(
        name,
        bad.n == 0,
        "definitive only after the complaint window closed",
        f"{checked - bad.n} of {checked} definitive results came after their complaint window",
        {"checked": checked, "violations": bad.n},
        bad.items,
    )


DEADLINE_FIELDS = (
    "marking_deadline",
    "import_deadline",
    "complaint_deadline",
    "establishment_due",
    "appeal_deadline",
)


def deadlines_on_working_days(store: Store, policy: Policy, sim_dir: Path) -> Invariant:
    cal = Lookups.load(store).calendar
    bad = _Examples()
    checked = 0
    for r in store.rows(models.Result):
        for f in DEADLINE_FIELDS:
            day = r[f]
            if day is None:
                continue
            checked += 1
            if not cal.is_working_day(day):
                bad.add(
                    {
                        "association_id": r["association_id"],
                        "deadline": f,
                        "date": iso(day),
                        "why": cal.holiday_name(day) or day.strftime("%A"),
                    }
                )
    return Invariant(
        "deadlines_on_working_days",
        bad.n == 0,
        "every deadline falls on a working day",
        f"{checked - bad.n} of {checked} deadlines fall on a working day",
        {"deadlines": checked, "violations": bad.n},
        bad.items,
    )


def _same_grade(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    na, nb = numeric_grade(str(a)), numeric_grade(str(b))
    if na is not None and nb is not None:
        return abs(na - nb) < 1e-6
    return str(a).strip().lower() == str(b).strip().lower()


def state_matches_truth(store: Store, policy: Policy, sim_dir: Path) -> Invariant:
    bad = _Examples()
    checked = 0
    held = 0
    keep = ("attendance", "raw_score", "max_raw_score", "grade", "held_version")
    results = {r["association_id"]: {k: r[k] for k in keep} for r in store.rows(models.Result)}
    for t in _truth(sim_dir, "result"):
        if not t.get("complete"):
            continue
        r = results.get(t["association_id"])
        if r is not None and r["held_version"] is not None:
            # A correction after establishment that the policy keeps aside for the exam board (eduarte:
            # binding from establishment): KRS rightly differs from the corrected truth.
            held += 1
            continue
        checked += 1
        if r is None:
            bad.add(
                {
                    "association_id": t["association_id"],
                    "field": "result",
                    "truth": "registered",
                    "krs": "missing",
                }
            )
            continue
        pairs = [("attendance", r["attendance"], t.get("attendance"))]
        if t.get("raw_score") is not None:  # a max score is only delivered together with a score
            pairs += [
                ("raw_score", r["raw_score"], t["raw_score"]),
                ("max_raw_score", r["max_raw_score"], t.get("max_raw_score")),
            ]
        for f, krs, truth in pairs:
            if truth is not None and krs != truth:
                bad.add({"association_id": t["association_id"], "field": f, "truth": truth, "krs": krs})
        if t.get("grade") is not None and not _same_grade(r["grade"], t["grade"]):
            bad.add(
                {
                    "association_id": t["association_id"],
                    "field": "grade",
                    "truth": t["grade"],
                    "krs": r["grade"],
                }
            )
    return Invariant(
        "state_matches_truth",
        bad.n == 0,
        "KRS equals the truth where the chain had all information",
        f"{checked} complete results compared, {bad.n} differences"
        + (f"; {held} with a correction held by the policy not compared" if held else ""),
        {"compared": checked, "differences": bad.n, "held_by_policy": held},
        bad.items,
    )


INVARIANTS: dict[str, Callable[[Store, Policy, Path], Invariant]] = {
    "nothing_lost": nothing_lost,
    "faults_caught": faults_caught,
    "no_definitive_before_cut_score": no_definitive_before_cut_score,
    "no_wait_for_a_released_cut_score": no_wait_for_a_released_cut_score,
    "no_definitive_before_complaint_window": no_definitive_before_complaint_window,
    "deadlines_on_working_days": deadlines_on_working_days,
    "state_matches_truth": state_matches_truth,
}


def evaluate(name: str, store: Store, policy: Policy, sim_dir: Path) -> Invariant:
    return INVARIANTS[name](store, policy, sim_dir)


def evaluate_all(store: Store, policy: Policy, sim_dir: Path) -> list[Invariant]:
    return [fn(store, policy, sim_dir) for fn in INVARIANTS.values()]
