"""The chain's stages as assets: scenario -> simulation -> intake + KRS state -> OKE-log.

Each asset calls one core or simulator function and reports counts; the files it produces live
in the rehearsal's output folder, so every stage can run in its own process (Dagster UI) or
in one (``oke rehearse``).
"""

# no `from __future__ import annotations` here: Dagster checks the `context` annotation of an asset
# function as an object, and refuses the string a postponed annotation would leave it
from collections.abc import Iterator

import dagster as dg

from assets import runtime
from assets.metadata import md_table, what_happened
from assets.partitions import DAY_PARTITIONS_NAME, scenario_partitions
from assets.resources import KrsDatabase, OutputFolder, ScenarioLibrary


class SimulationConfig(dg.Config):
    """Run configuration of the simulation; the scenario file's own seed when not given."""

    seed: int | None = None


@dg.asset(
    partitions_def=scenario_partitions,
    group_name="scenario",
    kinds={"yaml"},
    description="The scenario file, validated: institution size, policy, dates, faults to inject.",
)
def scenario_config(context: dg.AssetExecutionContext, scenarios: ScenarioLibrary) -> dg.MaterializeResult:
    scenario = runtime.load_scenario(scenarios.path(context.partition_key))
    runtime.scenario_policy(scenario)  # an own policy file is checked here, before anything runs
    facts = runtime.scenario_facts(scenario)
    return dg.MaterializeResult(
        metadata={
            **{k: v for k, v in facts.items() if isinstance(v, int | str)},
            "what_happened": what_happened(
                f"Scenario **{context.partition_key}** loaded and valid: policy `{facts.get('policy')}`, "
                f"{facts.get('start')} .. {facts.get('until')}."
            ),
        }
    )


@dg.asset(
    partitions_def=scenario_partitions,
    deps=[scenario_config],
    group_name="simulation",
    kinds={"simpy"},
    description="Simulated planning context, flow-3/4/5 message stream, KRS-side events and ground truth.",
)
def simulated_chain(
    context: dg.AssetExecutionContext,
    config: SimulationConfig,
    scenarios: ScenarioLibrary,
    output: OutputFolder,
) -> dg.MaterializeResult:
    folder = output.for_scenario(context.partition_key)
    runtime.clear_simulation(folder)
    stats = runtime.simulate(scenarios.path(context.partition_key), config.seed, folder)
    faults = stats.pop("faults_by_kind", {})
    return dg.MaterializeResult(
        metadata={
            **stats,
            "faults": md_table(["fault", "count"], sorted(faults.items())),
            "what_happened": what_happened(
                f"Simulated {stats.get('students', 0)} students and {stats.get('associations', 0)} "
                f"participations: {stats.get('messages', 0)} messages, {stats.get('events', 0)} KRS events, "
                f"{sum(faults.values())} injected faults."
            ),
        }
    )


@dg.multi_asset(
    partitions_def=scenario_partitions,
    group_name="krs",
    specs=[
        dg.AssetSpec(
            "message_intake",
            deps=[simulated_chain],
            description="Every received message validated: applied, recognised as duplicate, or quarantined "
            "with a reason (quarantine.jsonl).",
            kinds={"sqlite"},
        ),
        dg.AssetSpec(
            "krs_state",
            deps=["message_intake"],
            description="KRS state after the replay: results, result versions, cases, status changes "
            "(krs.sqlite, results.csv).",
            kinds={"sqlite", "csv"},
        ),
    ],
)
def krs_replay(
    context: dg.AssetExecutionContext, output: OutputFolder, krs_db: KrsDatabase
) -> Iterator[dg.MaterializeResult]:
    folder = output.for_scenario(context.partition_key)
    outcome = runtime.replay_rehearsal(context.partition_key, folder, krs_db)
    days = outcome.pop("days")
    context.instance.add_dynamic_partitions(DAY_PARTITIONS_NAME, days)
    intake, state = outcome["intake"], outcome["state"]
    reasons = intake.pop("quarantine_reasons")
    yield dg.MaterializeResult(
        asset_key="message_intake",
        metadata={
            **intake,
            "quarantine_reasons": md_table(["reason", "count"], sorted(reasons.items())),
            "what_happened": what_happened(
                f"{intake['received']} messages received: {intake['applied']} applied, "
                f"{intake['duplicates']} duplicates, {intake['quarantined']} quarantined."
            ),
        },
    )
    by_status = state.pop("by_status")
    yield dg.MaterializeResult(
        asset_key="krs_state",
        metadata={
            **state,
            "status": md_table(["status", "results"], sorted(by_status.items())),
            "what_happened": what_happened(
                f"Replayed up to {state['until']}: {state['results']} results, "
                f"{by_status.get('provisional', 0)} provisional, {by_status.get('definitive', 0)} definitive."
            ),
        },
    )


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["krs_state"],
    group_name="krs",
    kinds={"json"},
    description="The OKE-log: every exchange and processing step in KRS, in order (oke_log.jsonl).",
)
def oke_log(
    context: dg.AssetExecutionContext, output: OutputFolder, krs_db: KrsDatabase
) -> dg.MaterializeResult:
    folder = output.for_scenario(context.partition_key)
    stats = runtime.export_log(folder, krs_db)
    levels = stats.pop("by_level")
    return dg.MaterializeResult(
        metadata={
            **stats,
            "levels": md_table(["level", "entries"], sorted(levels.items())),
            "what_happened": what_happened(
                f"{stats['entries']} OKE-log entries exported; {levels.get('error', 0)} at level error."
            ),
        }
    )


CHAIN_ASSETS = [scenario_config, simulated_chain, krs_replay, oke_log]
