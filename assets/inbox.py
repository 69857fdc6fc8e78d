"""A vendor's delivery: a ``.jsonl`` of flow-3 messages dropped in the inbox, validated, ingested
into a rehearsal's KRS store and reported (``out/<scenario>/inbox/<file>.report.json``)."""

from pathlib import Path

import dagster as dg

from assets import runtime
from assets.metadata import md_table, what_happened
from assets.partitions import scenario_partitions
from assets.resources import KrsDatabase, OutputFolder


class DeliveryConfig(dg.Config):
    """The dropped file to process (set by the inbox sensor)."""

    path: str


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["krs_state"],
    group_name="krs",
    kinds={"json"},
    description="A vendor's flow-3 delivery from the inbox: each message applied, duplicate or quarantined "
    "(report in inbox/<file>.report.json).",
)
def vendor_delivery(
    context: dg.AssetExecutionContext, config: DeliveryConfig, output: OutputFolder, krs_db: KrsDatabase
) -> dg.MaterializeResult:
    folder = output.for_scenario(context.partition_key)
    report = runtime.ingest_delivery(Path(config.path), folder, krs_db)
    c = report["counts"]
    return dg.MaterializeResult(
        metadata={
            "file": report["file"],
            **c,
            "messages": md_table(
                ["line", "message_id", "status", "reason", "first problem"],
                [
                    (m["line"], m["message_id"], m["status"], m["reason"], m["problem"])
                    for m in report["messages"]
                ],
            ),
            "what_happened": what_happened(
                f"Delivery `{report['file']}` into **{context.partition_key}**: {c['received']} messages, "
                f"{c['applied']} applied, {c['duplicates']} duplicates, {c['quarantined']} quarantined."
            ),
        }
    )
