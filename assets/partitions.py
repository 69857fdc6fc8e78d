"""Partitions: one rehearsal per scenario, and (for trainers) one simulated day within it."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import dagster as dg

from assets.resources import REPO_ROOT

DAY_PARTITIONS_NAME = "sim_day"


def scenario_names(directory: Path | None = None) -> list[str]:
    """The scenario partition keys: the names of ``scenarios/*.yaml`` (sorted, so stable)."""
    folder = directory or Path(os.environ.get("OKE_SCENARIO_DIR", str(REPO_ROOT / "scenarios")))
    return sorted(p.stem for p in folder.glob("*.yaml") if p.is_file())


scenario_partitions = dg.StaticPartitionsDefinition(scenario_names())

# Simulated calendar days, registered by the KRS-state asset when a rehearsal is replayed.
day_partitions = dg.DynamicPartitionsDefinition(name=DAY_PARTITIONS_NAME)

scenario_day_partitions = dg.MultiPartitionsDefinition(
    {"scenario": scenario_partitions, "day": day_partitions}
)

with warnings.catch_warnings():  # beta API, used knowingly: day-level assets read the scenario's store
    warnings.simplefilter("ignore", dg.BetaWarning)
    scenario_of_day = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="scenario")
