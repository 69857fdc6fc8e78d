"""The code location loads, and its shape is what the docs promise."""

from __future__ import annotations

import dagster as dg

from assets.checks import CHECK_SPECS
from assets.definitions import REHEARSAL_ASSETS, defs
from assets.partitions import scenario_names, scenario_partitions
from assets.rehearsal import stages


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)


def test_scenarios_are_partitions():
    names = scenario_names()
    assert "tiny" in names
    assert list(scenario_partitions.get_partition_keys()) == names


def test_graph_shape():
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for name in (
        "scenario_config",
        "simulated_chain",
        "message_intake",
        "krs_state",
        "oke_log",
        "daily_log_control",
        "compliance_report",
        "student_portal",
        "rehearsal_summary",
        "daily_log_control_by_day",
        "student_portal_by_day",
        "vendor_delivery",
    ):
        assert name in keys
    order = [s.name for s in stages()]
    assert (
        order.index("scenario_config")
        < order.index("simulated_chain")
        < order.index("krs_state, message_intake")
    )
    assert (
        order.index("krs_state, message_intake") < order.index("oke_log") < order.index("compliance_report")
    )
    assert order[-1] != "scenario_config" and len(order) == len(REHEARSAL_ASSETS)


def test_checks_schedule_and_sensor_are_registered():
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert {(a, n) for a, n, _ in CHECK_SPECS} <= checks
    assert defs.resolve_schedule_def("daily_log_control_schedule").cron_schedule
    assert defs.resolve_sensor_def("vendor_inbox_sensor") is not None
