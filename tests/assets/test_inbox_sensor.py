"""A vendor drops a .jsonl of flow-3 messages in the inbox: the sensor requests a run, the run ingests
and reports it, and nothing is lost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

from assets.checks import ASSET_CHECKS
from assets.definitions import REHEARSAL_ASSETS
from assets.inbox import vendor_delivery
from assets.resources import Inbox
from assets.sensors import vendor_inbox_sensor


def _delivery(graph, tmp: Path) -> Path:
    """Three re-sent messages from the simulated stream (duplicates), one new valid-looking line with
    a changed id for an unknown association, and a broken line."""
    lines = (graph.folder / "messages.jsonl").read_text().splitlines()
    envs = [json.loads(x) for x in lines if '"body"' in x][:3]
    unknown = dict(
        envs[0], message_id="vendor-unknown-1", path="/associations/00000000-0000-4000-8000-000000000000"
    )
    path = tmp / "inbox" / "tiny" / "remindo-herlevering.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([*(json.dumps(e) for e in envs), json.dumps(unknown), "{niet: json"]) + "\n")
    return path


def _sensor(tmp: Path, instance, cursor=None):
    ctx = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"inbox": Inbox(directory=str(tmp / "inbox"), default_scenario="tiny")},
    )
    return vendor_inbox_sensor(ctx)


def test_sensor_requests_one_run_per_new_file(graph, tmp_path):
    path = _delivery(graph, tmp_path)
    result = _sensor(tmp_path, graph.instance)
    assert len(result.run_requests) == 1
    req = result.run_requests[0]
    assert req.partition_key == "tiny"
    assert req.run_config["ops"]["vendor_delivery"]["config"]["path"] == str(path.resolve())
    again = _sensor(tmp_path, graph.instance, cursor=result.cursor)
    assert again.run_requests == [] and again.skip_reason is not None
    path.write_text(path.read_text() + "\n")  # a changed file is processed again
    assert len(_sensor(tmp_path, graph.instance, cursor=result.cursor).run_requests) == 1


def test_sensor_skips_unknown_scenario_with_reason(graph, tmp_path):
    bad = tmp_path / "inbox" / "no-such-scenario" / "x.jsonl"
    bad.parent.mkdir(parents=True)
    bad.write_text("{}\n")
    result = _sensor(tmp_path, graph.instance)
    assert result.run_requests == []
    assert "no-such-scenario" in result.skip_reason.skip_message


@pytest.fixture()
def private(graph, tmp_path, make_resources):
    """A copy of the materialised rehearsal, so deliveries do not change the shared one."""
    shutil.copytree(graph.folder, tmp_path / "out" / "tiny")
    return tmp_path / "out" / "tiny", make_resources(tmp_path / "out")


def test_requested_run_ingests_and_reports(graph, tmp_path, private):
    folder, resources = private
    path = _delivery(graph, tmp_path)
    req = _sensor(tmp_path, graph.instance).run_requests[0]
    result = dg.materialize(
        [*REHEARSAL_ASSETS, vendor_delivery, *ASSET_CHECKS],
        selection=[dg.AssetKey("vendor_delivery"), dg.AssetKey("oke_log")],
        partition_key=req.partition_key,
        instance=graph.instance,
        resources=resources,
        run_config=req.run_config,
    )
    assert result.success
    reports = sorted((folder / "inbox").glob("remindo-herlevering-*.report.json"))
    assert reports
    report = json.loads(reports[-1].read_text())
    c = report["counts"]
    assert c == {"received": 5, "applied": 0, "duplicates": 3, "quarantined": 2}
    reasons = sorted(m["reason"] for m in report["messages"] if m["status"] == "quarantined")
    assert reasons == ["json-syntax", "unknown-association"]
    broken = next(m for m in report["messages"] if m["reason"] == "json-syntax")
    assert broken["line"] == 5 and broken["problem"]
    # the invariant still holds: sent (stream + delivery) = applied + duplicates + quarantined
    from assets import runtime

    inv = runtime.evaluate_invariant("nothing_lost", folder, resources["krs_db"])
    assert inv.passed, inv.detail
    assert path.is_file()


def test_delivery_of_vanished_file_fails_clearly(graph, tmp_path):
    result = dg.materialize(
        [*REHEARSAL_ASSETS, vendor_delivery],
        selection=[vendor_delivery],
        partition_key="tiny",
        instance=graph.instance,
        resources=graph.resources,
        run_config={"ops": {"vendor_delivery": {"config": {"path": str(tmp_path / "gone.jsonl")}}}},
        raise_on_error=False,
    )
    assert not result.success
    from assets.rehearsal import _failure

    assert "gone.jsonl" in _failure(result) and "Traceback" not in _failure(result)
