"""The few calls the assets make into the simulator and the core, in one place.

Assets stay free of business logic: they call these functions and report what came back.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assets.resources import KrsDatabase
    from oke_core.policy import Policy
    from oke_core.reports.invariants import Invariant
    from oke_sim.scenario import Scenario

MANIFEST = "rehearsal.json"


@dataclass(frozen=True)
class Rehearsal:
    """What a downstream asset needs to know about a replayed rehearsal (``rehearsal.json``)."""

    scenario: str
    seed: int
    policy: str  # a preset name, or the name inside the institution's own policy file
    start: str
    until: str
    institution: str
    policy_file: str | None = None  # that file, relative to the rehearsal folder

    @property
    def until_date(self) -> date:
        return date.fromisoformat(self.until)

    @property
    def start_date(self) -> date:
        return date.fromisoformat(self.start)

    def meta(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "policy": self.policy,
            "institution": {"name": self.institution},
        }


def write_manifest(folder: Path, rehearsal: Rehearsal) -> None:
    from oke_core.reports.files import write_json

    write_json(folder / MANIFEST, asdict(rehearsal))


def read_manifest(folder: Path) -> Rehearsal:
    path = folder / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no replayed rehearsal here; materialise 'krs_state' for this scenario first"
        )
    return Rehearsal(**json.loads(path.read_text(encoding="utf-8")))


def clear_simulation(folder: Path) -> None:
    """Remove a previous simulation's files so a rerun starts clean."""
    for name in ("planning",):
        if (folder / name).is_dir():
            shutil.rmtree(folder / name)
    for name in ("messages.jsonl", "events.jsonl", "truth.jsonl"):
        if (folder / name).exists():
            (folder / name).unlink()


# -- scenario and simulation -------------------------------------------------------------------------


def load_scenario(path: Path) -> Scenario:
    """The validated scenario (simulator's loader: errors name file, line and field)."""
    from oke_sim.scenario import load_scenario as _load

    return _load(path)


def scenario_policy(scenario: Scenario) -> Policy:
    """The policy the scenario names, loaded and validated (its own file: errors name its line)."""
    from oke_core.policy import load_policy

    return load_policy(scenario.policy_file or str(scenario.params["policy"]))


def simulate_until(scenario: Scenario) -> date:
    """The last simulated day: ``calendar.simulate_until``, else year end + tail working days."""
    from oke_core.calendar import WorkingDays

    cal = scenario.params["calendar"]
    if cal.get("simulate_until"):
        return date.fromisoformat(str(cal["simulate_until"]))
    closure = []
    for span in cal.get("closure_days", []):
        day, end = date.fromisoformat(str(span["from"])), date.fromisoformat(str(span["to"]))
        while day <= end:
            closure.append(day)
            day = date.fromordinal(day.toordinal() + 1)
    return WorkingDays(closure).add(
        date.fromisoformat(str(cal["year_end"])), int(cal.get("tail_working_days", 0))
    )


def scenario_facts(scenario: Scenario) -> dict[str, Any]:
    p = scenario.params
    return {
        "scenario": scenario.name,
        "seed": int(p["seed"]),
        "policy": str(p["policy"]),
        "students": int(p["institution"]["students"]),
        "colleges": int(p["institution"]["colleges"]),
        "components": len(p["components"]),
        "periods": ", ".join(x["name"] for x in p["calendar"]["periods"]),
        "start": str(p["calendar"]["year_start"]),
        "until": simulate_until(scenario).isoformat(),
    }


def simulate(scenario_path: Path, seed: int | None, folder: Path) -> dict[str, Any]:
    """Run the simulator into ``folder`` and write rehearsal.json; returns counts for the metadata."""
    from oke_sim.simulation import OWN_POLICY
    from oke_sim.simulation import simulate as _simulate

    scenario = load_scenario(scenario_path)
    policy = scenario_policy(scenario)
    done = _simulate(scenario, out_dir=folder, seed=seed)
    institution = json.loads((folder / "planning" / "institution.json").read_text(encoding="utf-8"))
    facts = scenario_facts(scenario)
    until = done.simulated_until or facts["until"]
    write_manifest(
        folder,
        Rehearsal(
            scenario=scenario.name,
            seed=done.seed,
            policy=policy.name,
            start=facts["start"],
            until=until,
            institution=institution["name"],
            policy_file=None if scenario.policy_file is None else f"planning/{OWN_POLICY}",
        ),
    )
    return {"seed": done.seed, "until": until, **simulation_counts(folder)}


def _lines(path: Path) -> int:
    if not path.is_file():
        return 0
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def simulation_counts(folder: Path) -> dict[str, Any]:
    from oke_core.reports.files import read_jsonl

    faults: dict[str, int] = {}
    truth_results = 0
    for row in read_jsonl(folder / "truth.jsonl") if (folder / "truth.jsonl").is_file() else []:
        if row.get("kind") == "fault":
            faults[row["fault"]] = faults.get(row["fault"], 0) + 1
        elif row.get("kind") == "result":
            truth_results += 1
    return {
        "students": _lines(folder / "planning" / "students.jsonl"),
        "associations": _lines(folder / "planning" / "associations.jsonl"),
        "messages": _lines(folder / "messages.jsonl"),
        "events": _lines(folder / "events.jsonl"),
        "truth_results": truth_results,
        "faults_by_kind": faults,
    }


# -- KRS: replay, exports, reports --------------------------------------------------------------------


def _policy(folder: Path, reh: Rehearsal) -> Policy:
    from oke_core.policy import load_policy

    return load_policy(folder / reh.policy_file if reh.policy_file else reh.policy)


def replay_rehearsal(scenario: str, folder: Path, db: KrsDatabase) -> dict[str, Any]:
    """Replay the simulated stream into a fresh store up to the scenario's end; write quarantine.jsonl
    and results.csv."""
    from oke_core.replay import replay
    from oke_core.reports import RESULT_COLUMNS, results_rows
    from oke_core.reports.counts import intake_counts
    from oke_core.reports.files import write_csv
    from oke_core.store import models

    reh = read_manifest(folder)
    if (folder / "inbox").is_dir():  # deliveries belonged to the previous store
        shutil.rmtree(folder / "inbox")
    store = db.open(folder, scenario, fresh=True)
    try:
        replay(store, folder, _policy(folder, reh), until=reh.until_date)
        quarantined = store.export_quarantine(folder / "quarantine.jsonl")
        rows = write_csv(folder / "results.csv", RESULT_COLUMNS, results_rows(store, reh.until_date))
        intake = intake_counts(store)
        by_status: dict[str, int] = {}
        for row in results_rows(store, reh.until_date):
            by_status[row["status"]] = by_status.get(row["status"], 0) + 1
        state = {
            "until": reh.until,
            "results": store.count(models.Result),
            "result_versions": store.count(models.ResultVersion),
            "cut_scores": store.count(models.CutScore),
            "cases": store.count(models.Case),
            "results_csv_rows": rows,
            "krs_status": ", ".join(f"{k}: {v}" for k, v in store.status_counts().items()),
            "database": db.describe(folder),
            "by_status": by_status,
        }
    finally:
        store.close()
    intake["quarantine_items"] = quarantined
    days = []
    day = reh.start_date
    while day <= reh.until_date:
        days.append(day.isoformat())
        day = date.fromordinal(day.toordinal() + 1)
    return {"intake": intake, "state": state, "days": days}


def export_log(folder: Path, db: KrsDatabase) -> dict[str, Any]:
    from oke_core.reports.counts import log_level

    reh = read_manifest(folder)
    store = db.open(folder, reh.scenario)
    try:
        entries = store.export_log(folder / "oke_log.jsonl")
        levels: dict[str, int] = {}
        kinds: dict[str, int] = {}
        for entry in store.log():
            lvl = log_level(entry)
            levels[lvl] = levels.get(lvl, 0) + 1
            kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    finally:
        store.close()
    return {
        "entries": entries,
        "by_level": levels,
        "kinds": ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())),
    }


def last_working_day(folder: Path, reh: Rehearsal) -> date:
    from oke_core.planning import load_planning

    cal = load_planning(folder / "planning").calendar()
    day = reh.until_date
    while not cal.is_working_day(day):
        day = date.fromordinal(day.toordinal() - 1)
    return day


def control_days(folder: Path) -> list[str]:
    """The simulated working days of a replayed rehearsal, in order (what the schedule steps through)."""
    from oke_core.planning import load_planning

    reh = read_manifest(folder)
    cal = load_planning(folder / "planning").calendar()
    out, day = [], reh.start_date
    while day <= reh.until_date:
        if cal.is_working_day(day):
            out.append(day.isoformat())
        day = date.fromordinal(day.toordinal() + 1)
    return out


def write_daily_control(folder: Path, db: KrsDatabase, day: date | None) -> dict[str, Any]:
    """The exam office's control; ``None`` = the rehearsal's last working day (daily_control.json)."""
    from oke_core.reports import daily_control
    from oke_core.reports.files import write_json

    reh = read_manifest(folder)
    target = day or last_working_day(folder, reh)
    store = db.open(folder, reh.scenario)
    try:
        control = daily_control(store, _policy(folder, reh), target)
    finally:
        store.close()
    name = "daily_control.json" if day is None else f"controls/logcontrole-{target.isoformat()}.json"
    write_json(folder / name, control)
    return control


def _meta(folder: Path, reh: Rehearsal) -> dict[str, Any]:
    institution = json.loads((folder / "planning" / "institution.json").read_text(encoding="utf-8"))
    return {**reh.meta(), "colleges": institution.get("colleges", [])}


def write_compliance(folder: Path, db: KrsDatabase) -> dict[str, Any]:
    from oke_core.reports import compliance, compliance_markdown
    from oke_core.reports.files import write_json, write_text

    reh = read_manifest(folder)
    store = db.open(folder, reh.scenario)
    try:
        report = compliance(store, _policy(folder, reh), reh.until_date, _meta(folder, reh))
    finally:
        store.close()
    write_json(folder / "compliance.json", report)
    write_text(folder / "compliance.md", compliance_markdown(report))
    return report


def write_portal(folder: Path, db: KrsDatabase, day: date | None) -> tuple[dict[str, Any], int]:
    """The portal on ``day`` (None = the as-of day, portal.json) and, for the as-of day, notifications."""
    from oke_core.reports import notifications, portal_view
    from oke_core.reports.files import write_json, write_jsonl

    reh = read_manifest(folder)
    target = day or reh.until_date
    store = db.open(folder, reh.scenario)
    try:
        policy = _policy(folder, reh)
        portal = portal_view(store, policy, target)
        notes = notifications(store, policy, target) if day is None else []
    finally:
        store.close()
    if day is None:
        write_json(folder / "portal.json", portal)
        write_jsonl(folder / "notifications.jsonl", notes)
    else:
        write_json(folder / f"portals/studentenportaal-{target.isoformat()}.json", portal)
    return portal, len(notes)


def evaluate_invariant(name: str, folder: Path, db: KrsDatabase) -> Invariant:
    from oke_core.reports.invariants import evaluate

    reh = read_manifest(folder)
    store = db.open(folder, reh.scenario)
    try:
        return evaluate(name, store, _policy(folder, reh), folder)
    finally:
        store.close()


def write_summary(folder: Path, db: KrsDatabase) -> dict[str, Any]:
    from oke_core.reports import summary
    from oke_core.reports.counts import intake_counts
    from oke_core.reports.files import write_json
    from oke_core.reports.invariants import evaluate_all

    reh = read_manifest(folder)
    report = json.loads((folder / "compliance.json").read_text(encoding="utf-8"))
    store = db.open(folder, reh.scenario)
    try:
        checks = evaluate_all(store, _policy(folder, reh), folder)
        data = summary(intake_counts(store), report, checks)
    finally:
        store.close()
    write_json(folder / "summary.json", data)
    return data


# -- inbox deliveries ---------------------------------------------------------------------------------


def ingest_delivery(path: Path, folder: Path, db: KrsDatabase) -> dict[str, Any]:
    """Validate and ingest a vendor's file into the rehearsal's store; write inbox/<file>.report.json and
    refresh quarantine.jsonl and results.csv."""
    from oke_core.ingest import Ingestor
    from oke_core.planning import load_planning
    from oke_core.replay import message_lines
    from oke_core.reports import RESULT_COLUMNS, results_rows
    from oke_core.reports.files import write_csv, write_json

    if not path.is_file():
        raise FileNotFoundError(f"{path}: the delivery file is gone")
    reh = read_manifest(folder)
    fallback = f"{reh.until}T12:00:00Z"
    store = db.open(folder, reh.scenario)
    messages = []
    counts = {"received": 0, "applied": 0, "duplicates": 0, "quarantined": 0}
    try:
        ing = Ingestor(store, load_planning(folder / "planning"), _policy(folder, reh))
        for lineno, env in message_lines(path, fallback):
            env.setdefault("message_id", f"inbox:{path.stem}:{lineno}")
            own = env.get("received_at") or env.get("sent_at")
            # the file's own time is bounded by the school year (Ingestor.receive); the fallback is not
            outcome = ing.receive(env, None if isinstance(own, str) else fallback)
            counts["received"] += 1
            counts[{"duplicate": "duplicates"}.get(outcome.status, outcome.status)] += 1
            errors = outcome.verdict.errors if outcome.verdict is not None else []
            problems = [f"{p.pointer or '/'}: {p.message} [{p.code}]" for p in errors]
            messages.append(
                {
                    "line": lineno,
                    "message_id": env["message_id"],
                    "status": outcome.status,
                    "reason": outcome.reason,
                    "association_id": outcome.association_id,
                    "problem": problems[0]
                    if problems
                    else (outcome.reason if outcome.status == "quarantined" else None),
                    "problems": problems,
                }
            )
        ing.flush()
        store.export_quarantine(folder / "quarantine.jsonl")
        write_csv(folder / "results.csv", RESULT_COLUMNS, results_rows(store, reh.until_date))
    finally:
        store.close()
    report = {"file": path.name, "scenario": reh.scenario, "counts": counts, "messages": messages}
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    write_json(folder / "inbox" / f"{path.stem}-{digest}.report.json", report)
    return report
