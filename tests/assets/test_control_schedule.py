"""The exam office's daily log control schedule steps through the simulated working days."""

from __future__ import annotations

import dagster as dg

from assets import runtime
from assets.definitions import REHEARSAL_ASSETS
from assets.reporting import daily_log_control_by_day
from assets.schedules import daily_log_control_schedule


def _tick(graph):
    from assets.definitions import defs

    ctx = dg.build_schedule_context(
        instance=graph.instance,
        resources={"output": graph.resources["output"]},
        repository_def=defs.get_repository_def(),
    )
    return daily_log_control_schedule.evaluate_tick(ctx)


def test_schedule_requests_the_next_uncontrolled_working_day(graph):
    days = runtime.control_days(graph.folder)
    done = graph.instance.get_materialized_partitions(dg.AssetKey("daily_log_control_by_day"))
    todo = [d for d in days if dg.MultiPartitionKey({"scenario": "tiny", "day": d}) not in done]
    first = _tick(graph).run_requests
    tiny = [r for r in first if r.partition_key.keys_by_dimension["scenario"] == "tiny"]
    assert len(tiny) == 1
    assert tiny[0].partition_key.keys_by_dimension["day"] == todo[0]
    result = dg.materialize(
        [*REHEARSAL_ASSETS, daily_log_control_by_day],
        selection=[daily_log_control_by_day],
        partition_key=str(tiny[0].partition_key),
        instance=graph.instance,
        resources=graph.resources,
    )
    assert result.success
    second = [r for r in _tick(graph).run_requests if r.partition_key.keys_by_dimension["scenario"] == "tiny"]
    assert second[0].partition_key.keys_by_dimension["day"] == todo[1]


def test_control_days_are_working_days(graph):
    from oke_core.planning import load_planning

    cal = load_planning(graph.folder / "planning").calendar()
    days = runtime.control_days(graph.folder)
    assert days == sorted(days)
    from datetime import date

    assert all(cal.is_working_day(date.fromisoformat(d)) for d in days)
