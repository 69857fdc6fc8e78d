"""The whole graph materialised with `dagster.materialize` on the tiny scenario; every check asserted."""

from __future__ import annotations

import csv
import json

import dagster as dg
import pytest

from assets.checks import CHECK_SPECS
from assets.partitions import DAY_PARTITIONS_NAME
from assets.reporting import DAY_ASSETS


def test_run_succeeds(graph):
    failures = [e.step_key for e in graph.result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert graph.result.success, failures


@pytest.mark.parametrize(("asset", "check"), [(a, n) for a, n, _ in CHECK_SPECS])
def test_asset_check_passes(graph, asset, check):
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e for e in graph.result.get_asset_check_evaluations()
    }
    ev = evaluations[(asset, check)]
    assert ev.partition == "tiny"
    assert ev.passed, {k: v.value for k, v in ev.metadata.items()}


def test_materialisations_carry_counts_and_a_summary(graph):
    events = graph.result.get_asset_materialization_events()
    mats = {e.materialization.asset_key.to_user_string(): e.materialization for e in events}
    for name in ("simulated_chain", "message_intake", "krs_state", "oke_log", "compliance_report"):
        meta = mats[name].metadata
        assert "what_happened" in meta, name
        assert isinstance(meta["what_happened"], dg.MarkdownMetadataValue)
    intake = mats["message_intake"].metadata
    assert intake["received"].value == (
        intake["applied"].value + intake["duplicates"].value + intake["quarantined"].value
    )


def test_files_written(graph):
    for name in (
        "results.csv",
        "oke_log.jsonl",
        "quarantine.jsonl",
        "compliance.json",
        "compliance.md",
        "summary.json",
        "daily_control.json",
        "portal.json",
        "krs.sqlite",
        "rehearsal.json",
    ):
        assert (graph.folder / name).is_file(), name
    summary = json.loads((graph.folder / "summary.json").read_text())
    with (graph.folder / "results.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    counts = summary["counts"]
    assert counts["provisional"] == sum(r["status"] == "provisional" for r in rows)
    assert counts["definitive"] == sum(r["status"] == "definitive" for r in rows)
    with (graph.folder / "quarantine.jsonl").open() as fh:
        assert sum(1 for _ in fh) == counts["quarantined"]
    assert summary["all_checks_passed"] is all(c["passed"] for c in summary["checks"])


def test_day_partitions_registered_and_materialisable(graph):
    days = graph.instance.get_dynamic_partitions(DAY_PARTITIONS_NAME)
    manifest = json.loads((graph.folder / "rehearsal.json").read_text())
    assert days[0] == manifest["start"] and days[-1] == manifest["until"]
    day = "2026-11-16"
    key = dg.MultiPartitionKey({"scenario": "tiny", "day": day})
    from assets.definitions import PAGE_DAY_ASSETS, REHEARSAL_ASSETS

    result = dg.materialize(
        [*REHEARSAL_ASSETS, *DAY_ASSETS, *PAGE_DAY_ASSETS],
        selection=[*DAY_ASSETS, *PAGE_DAY_ASSETS],
        partition_key=str(key),
        instance=graph.instance,
        resources=graph.resources,
    )
    assert result.success
    control = json.loads((graph.folder / "controls" / f"logcontrole-{day}.json").read_text())
    portal = json.loads((graph.folder / "portals" / f"studentenportaal-{day}.json").read_text())
    assert control["day"] == portal["day"] == day
    assert all(r["sitting_date"] <= day for s in portal["students"] for r in s["results"])
