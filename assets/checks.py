"""Asset checks: the process invariants. The comparisons live in ``oke_core.reports.invariants``;
a check only evaluates one and reports it."""

# no `from __future__ import annotations` here: Dagster checks the `context` annotation of a check
# function as an object, and refuses the string a postponed annotation would leave it
import warnings
from typing import TYPE_CHECKING

import dagster as dg

from assets import runtime
from assets.metadata import md_table
from assets.partitions import scenario_partitions
from assets.resources import KrsDatabase, OutputFolder

if TYPE_CHECKING:
    from oke_core.reports.invariants import Invariant


def _result(inv: "Invariant") -> dg.AssetCheckResult:
    metadata: dict = {k: v for k, v in inv.counts.items()}
    metadata["detail"] = inv.detail
    if inv.examples:
        headers = sorted({k for e in inv.examples for k in e})
        metadata["examples"] = md_table(
            headers, [[e.get(h) for h in headers] for e in inv.examples], limit=20
        )
    return dg.AssetCheckResult(passed=inv.passed, metadata=metadata, description=inv.description)


def _make_check(asset: str, name: str, description: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=asset, name=name, description=description, partitions_def=scenario_partitions)
    def _check(
        context: dg.AssetCheckExecutionContext, output: OutputFolder, krs_db: KrsDatabase
    ) -> dg.AssetCheckResult:
        folder = output.for_scenario(context.partition_key)
        return _result(runtime.evaluate_invariant(name, folder, krs_db))

    return _check


# (asset, invariant name, what it guarantees) - names match oke_core.reports.invariants.INVARIANTS
CHECK_SPECS = [
    (
        "message_intake",
        "nothing_lost",
        "Every received message is applied, recognised as a duplicate, or quarantined: received = applied + "
        "duplicates + quarantined.",
    ),
    (
        "message_intake",
        "faults_caught",
        "Every fault the simulator injected (truth.jsonl) ended as the truth file expects.",
    ),
    (
        "krs_state",
        "no_definitive_before_cut_score",
        "Variant 1: no result became definitive before the cut score of its exam version was released.",
    ),
    (
        "krs_state",
        "no_wait_for_a_released_cut_score",
        "Variant 1: no result still waits for a cut score once its exam version's cut score was released "
        "(nothing is left provisional for ever).",
    ),
    (
        "krs_state",
        "no_definitive_before_complaint_window",
        "Where the policy has a complaint window, no result became definitive before it closed "
        "(unless the exam board established it early).",
    ),
    (
        "krs_state",
        "deadlines_on_working_days",
        "Every deadline KRS computed (marking, import, complaint, establishment, appeal) falls on a "
        "working day.",
    ),
    (
        "krs_state",
        "state_matches_truth",
        "Where the chain had all information, KRS holds the truth's attendance, raw score and grade.",
    ),
]

with warnings.catch_warnings():  # partitioned checks are a preview API; each check judges one rehearsal
    warnings.simplefilter("ignore", dg.PreviewWarning)
    ASSET_CHECKS = [_make_check(asset, name, description) for asset, name, description in CHECK_SPECS]
