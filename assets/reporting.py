"""Report assets: the exam office's daily log control, the exam board's compliance report, the
student portal, and the rehearsal summary. All report data comes from ``oke_core.reports``."""

from datetime import date

import dagster as dg

from assets import runtime
from assets.metadata import md_table, what_happened
from assets.partitions import scenario_day_partitions, scenario_of_day, scenario_partitions
from assets.resources import KrsDatabase, OutputFolder


def _day_key(context: dg.AssetExecutionContext) -> tuple[str, date]:
    keys = context.partition_key.keys_by_dimension  # type: ignore[union-attr]
    return keys["scenario"], date.fromisoformat(keys["day"])


def _control_metadata(control: dict, scenario: str) -> dict:
    missing, breaches, errors = control["missing_results"], control["breaches"], control["errors"]
    return {
        "day": control["day"],
        "errors": len(errors),
        "missing_results": len(missing),
        "breaches": len(breaches),
        "missing": md_table(
            ["student", "component", "sitting", "expected by", "overdue (wd)", "supplier"],
            [
                (
                    m["student_number"],
                    m["component_code"],
                    m["sitting_date"],
                    m["expected_by"],
                    m["working_days_overdue"],
                    m["supplier"],
                )
                for m in missing
            ],
        ),
        "actions": md_table(["supplier", "action"], [(a["supplier"], a["text"]) for a in control["actions"]]),
        "what_happened": what_happened(
            f"Log control of **{scenario}** on {control['day']}: {len(errors)} log errors, "
            f"{len(missing)} missing results, {len(breaches)} deadline breaches."
        ),
    }


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["oke_log"],
    group_name="exam_office",
    kinds={"json"},
    description="Dagelijkse logcontrole on the rehearsal's last working day (daily_control.json).",
)
def daily_log_control(
    context: dg.AssetExecutionContext, output: OutputFolder, krs_db: KrsDatabase
) -> dg.MaterializeResult:
    folder = output.for_scenario(context.partition_key)
    control = runtime.write_daily_control(folder, krs_db, None)
    return dg.MaterializeResult(metadata=_control_metadata(control, context.partition_key))


@dg.asset(
    partitions_def=scenario_day_partitions,
    deps=[dg.AssetDep("oke_log", partition_mapping=scenario_of_day)],
    group_name="exam_office",
    kinds={"json"},
    description="Dagelijkse logcontrole for one simulated day (controls/logcontrole-<day>.json); "
    "the schedule "
    "steps through the days.",
)
def daily_log_control_by_day(
    context: dg.AssetExecutionContext, output: OutputFolder, krs_db: KrsDatabase
) -> dg.MaterializeResult:
    scenario, day = _day_key(context)
    control = runtime.write_daily_control(output.for_scenario(scenario), krs_db, day)
    return dg.MaterializeResult(metadata=_control_metadata(control, scenario))


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["oke_log"],
    group_name="exam_board",
    kinds={"json", "markdown"},
    description="Examencommissie report per period, college and exam component "
    "(compliance.json, compliance.md).",
)
def compliance_report(
    context: dg.AssetExecutionContext, output: OutputFolder, krs_db: KrsDatabase
) -> dg.MaterializeResult:
    folder = output.for_scenario(context.partition_key)
    report = runtime.write_compliance(folder, krs_db)
    totals, deadlines = report["totals"], report["deadlines"]
    return dg.MaterializeResult(
        metadata={
            **{f"total_{k}": v for k, v in totals.items()},
            "deadlines": md_table(
                ["deadline", "working days", "total", "on time", "late", "share on time"],
                [
                    (k, d["deadline_working_days"], d["total"], d["on_time"], d["late"], d["share_on_time"])
                    for k, d in sorted(deadlines.items())
                ],
            ),
            "cut_scores": md_table(
                ["exam version", "component", "cut score", "released on", "late"],
                [
                    (c["exam_version"], c["component_code"], c["cut_score"], c["released_on"], c["late"])
                    for c in report["cut_scores"]
                ],
            ),
            "what_happened": what_happened(
                f"Compliance up to {report['as_of']}: {totals['results']} results, {totals['definitive']} "
                f"definitive, {totals['provisional']} provisional; "
                f"marking on time {deadlines['marking']['share_on_time']:.0%}."
            ),
        }
    )


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["krs_state"],
    group_name="student",
    kinds={"json"},
    description="What each student sees in the portal on the rehearsal's as-of day (portal.json), and the "
    "messages the policy requires (notifications.jsonl).",
)
def student_portal(
    context: dg.AssetExecutionContext, output: OutputFolder, krs_db: KrsDatabase
) -> dg.MaterializeResult:
    folder = output.for_scenario(context.partition_key)
    portal, n_notes = runtime.write_portal(folder, krs_db, None)
    return dg.MaterializeResult(metadata=_portal_metadata(portal, context.partition_key, n_notes))


@dg.asset(
    partitions_def=scenario_day_partitions,
    deps=[dg.AssetDep("krs_state", partition_mapping=scenario_of_day)],
    group_name="student",
    kinds={"json"},
    description="The student portal as it looked on one simulated day (portals/studentenportaal-<day>.json).",
)
def student_portal_by_day(
    context: dg.AssetExecutionContext, output: OutputFolder, krs_db: KrsDatabase
) -> dg.MaterializeResult:
    scenario, day = _day_key(context)
    portal, _ = runtime.write_portal(output.for_scenario(scenario), krs_db, day)
    return dg.MaterializeResult(metadata=_portal_metadata(portal, scenario, None))


def _portal_metadata(portal: dict, scenario: str, notifications: int | None) -> dict:
    results = [r for s in portal["students"] for r in s["results"]]
    voorlopig = sum(1 for r in results if r["status"] == "voorlopig")
    meta = {
        "day": portal["day"],
        "students": len(portal["students"]),
        "voorlopig": voorlopig,
        "definitief": len(results) - voorlopig,
        "what_happened": what_happened(
            f"Portal of **{scenario}** on {portal['day']}: {len(portal['students'])} students see "
            f"{voorlopig} provisional and {len(results) - voorlopig} definitive results."
        ),
    }
    if notifications is not None:
        meta["notifications"] = notifications
    return meta


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["daily_log_control", "compliance_report", "student_portal"],
    group_name="exam_board",
    kinds={"json"},
    description="summary.json: the headline counts and the outcome of every process invariant.",
)
def rehearsal_summary(
    context: dg.AssetExecutionContext, output: OutputFolder, krs_db: KrsDatabase
) -> dg.MaterializeResult:
    folder = output.for_scenario(context.partition_key)
    summary = runtime.write_summary(folder, krs_db)
    checks = summary["checks"]
    failed = [c for c in checks if not c["passed"]]
    return dg.MaterializeResult(
        metadata={
            **{k: v for k, v in summary["counts"].items() if isinstance(v, int)},
            "checks": md_table(
                ["check", "passed", "detail"], [(c["name"], c["passed"], c["detail"]) for c in checks]
            ),
            "what_happened": what_happened(
                f"{len(checks) - len(failed)} of {len(checks)} invariants hold"
                + (f"; failing: {', '.join(c['name'] for c in failed)}." if failed else ".")
            ),
        }
    )


REPORT_ASSETS = [daily_log_control, compliance_report, student_portal, rehearsal_summary]
DAY_ASSETS = [daily_log_control_by_day, student_portal_by_day]
