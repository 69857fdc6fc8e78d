"""Headless rehearsal: materialise the same asset graph in-process, stage by stage.

``oke rehearse`` calls ``run_rehearsal``; each stage is one ``dagster.materialize`` call on an
ephemeral instance (so a progress display can follow along), with the asset checks of that
stage's assets running in the same call.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from assets.checks import ASSET_CHECKS
from assets.definitions import REHEARSAL_ASSETS
from assets.resources import Inbox, KrsDatabase, OutputFolder, ScenarioLibrary

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class Stage:
    name: str
    keys: list[dg.AssetKey]


@dataclass
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    description: str = ""


@dataclass
class RehearsalOutcome:
    scenario: str
    folder: Path
    checks: list[CheckOutcome] = field(default_factory=list)
    failed_stage: str | None = None
    error: str | None = None
    summary: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.checks) and all(c.passed for c in self.checks)


def stages() -> list[Stage]:
    """The rehearsal's asset definitions in dependency order (a multi-asset is one stage)."""
    defs = list(REHEARSAL_ASSETS)
    produced = {key: d for d in defs for key in d.keys}
    order: list[dg.AssetsDefinition] = []
    done: set[dg.AssetKey] = set()
    while len(order) < len(defs):
        progressed = False
        for d in defs:
            if d in order:
                continue
            upstream = {k for key in d.keys for k in d.asset_deps.get(key, set())} - set(d.keys)
            if all(k in done or k not in produced for k in upstream):
                order.append(d)
                done.update(d.keys)
                progressed = True
        if not progressed:  # pragma: no cover - a cycle would be a definitions bug
            raise RuntimeError("cycle in the rehearsal's asset graph")
    return [
        Stage(name=", ".join(sorted(k.to_user_string() for k in d.keys)), keys=sorted(d.keys)) for d in order
    ]


def resources_for(folder: Path, db_url: str | None, scenario_dir: Path | None) -> dict[str, object]:
    from assets.resources import REPO_ROOT

    return {
        "output": OutputFolder(template=str(folder)),
        "krs_db": KrsDatabase(url=db_url),
        "scenarios": ScenarioLibrary(
            directory=str(scenario_dir or os.environ.get("OKE_SCENARIO_DIR") or REPO_ROOT / "scenarios")
        ),
        "inbox": Inbox(),
    }


def _failure(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            err = event.step_failure_data.error  # type: ignore[union-attr]
            while (
                err is not None
                and err.cause is not None
                and err.cls_name
                in (
                    "DagsterExecutionStepExecutionError",
                    "DagsterUserCodeExecutionError",
                )
            ):
                err = err.cause
            if (
                err is not None
            ):  # "pkg.module.ScenarioError: file:line: pointer: rule" -> "ScenarioError: ..."
                return re.sub(r"^[\w.]+\.(\w+): ", r"\1: ", err.message.strip())
    return "the run failed (no step failure recorded)"


def run_rehearsal(
    scenario: str,
    folder: Path,
    *,
    seed: int | None = None,
    db_url: str | None = None,
    scenario_dir: Path | None = None,
    on_stage: Callable[[str, str], None] | None = None,
    instance: dg.DagsterInstance | None = None,
) -> RehearsalOutcome:
    """Materialise every rehearsal asset for ``scenario`` into ``folder``; stops at the first failure."""
    folder.mkdir(parents=True, exist_ok=True)
    outcome = RehearsalOutcome(scenario=scenario, folder=folder)
    resources = resources_for(folder, db_url, scenario_dir)
    all_defs = [*REHEARSAL_ASSETS, *ASSET_CHECKS]
    inst = instance or dg.DagsterInstance.ephemeral()
    try:
        for stage in stages():
            if on_stage:
                on_stage(stage.name, "start")
            run_config: dict[str, Any] = dict(QUIET_LOGS)
            if dg.AssetKey("simulated_chain") in stage.keys and seed is not None:
                run_config["ops"] = {"simulated_chain": {"config": {"seed": seed}}}
            result = dg.materialize(
                all_defs,
                selection=stage.keys,
                partition_key=scenario,
                instance=inst,
                resources=resources,
                run_config=run_config,
                raise_on_error=False,
            )
            if not result.success:
                outcome.failed_stage, outcome.error = stage.name, _failure(result)
                if on_stage:
                    on_stage(stage.name, "failed")
                return outcome
            for ev in result.get_asset_check_evaluations():
                outcome.checks.append(
                    CheckOutcome(
                        ev.asset_key.to_user_string(), ev.check_name, ev.passed, ev.description or ""
                    )
                )
            if on_stage:
                on_stage(stage.name, "done")
    finally:
        if instance is None:
            inst.dispose()
    summary = folder / "summary.json"
    if summary.is_file():
        outcome.summary = json.loads(summary.read_text(encoding="utf-8"))
    return outcome
