"""Page assets: render the people-facing pages from the report assets' JSON files.

No logic here: each asset reads what a report asset wrote and calls one `oke_core.pages`
function (the same ones `oke rehearse` and `oke explain` use). Pages go to
`out/<scenario>/pages/`, student e-mails to `out/<scenario>/pages/outbox/`.
"""

import json
from datetime import date
from pathlib import Path

import dagster as dg

from assets.metadata import what_happened
from assets.partitions import scenario_day_partitions, scenario_partitions
from assets.resources import KrsDatabase, OutputFolder

# Files the report assets write (assets/reporting.py), relative to the scenario folder.
COMPLIANCE_FILE = "compliance.json"
CONTROL_FILE = "daily_control.json"
PORTAL_FILE = "portal.json"
NOTIFICATIONS_FILE = "notifications.jsonl"
CONTROL_DAY_FILE = "controls/logcontrole-{day}.json"
PORTAL_DAY_FILE = "portals/studentenportaal-{day}.json"


def _read_json(path: Path, producer: str) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: not there; materialise '{producer}' for this scenario first")
    return json.loads(path.read_text(encoding="utf-8"))


def _pages_dir(folder: Path) -> Path:
    return folder / "pages"


def _page_meta(path: Path, text: str) -> dict:
    return {
        "page": dg.MetadataValue.path(str(path)),
        "bytes": path.stat().st_size,
        "what_happened": what_happened(text),
    }


class OutboxConfig(dg.Config):
    """Optional delivery of the student e-mails to a real SMTP relay (off unless smtp_host is set)."""

    smtp_host: str | None = None
    smtp_port: int = 25
    starttls: bool = False


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["compliance_report"],
    group_name="pages",
    kinds={"html"},
    description="Periodieke rapportage examencommissie as a printable HTML page, one for the year and one "
    "per period (pages/examencommissie-*.html).",
)
def exam_board_page(context: dg.AssetExecutionContext, output: OutputFolder) -> dg.MaterializeResult:
    from oke_core.pages import render_exam_board

    folder = output.for_scenario(context.partition_key)
    report = _read_json(folder / COMPLIANCE_FILE, "compliance_report")
    path = render_exam_board(report, _pages_dir(folder))
    periods = [
        render_exam_board(report, _pages_dir(folder), period=p["period"]).name for p in report["periods"]
    ]
    return dg.MaterializeResult(
        metadata={
            **_page_meta(path, f"Exam board report up to {report['as_of']} ({len(periods)} period pages)."),
            "period_pages": ", ".join(periods),
        }
    )


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["daily_log_control"],
    group_name="pages",
    kinds={"html"},
    description="Dagelijkse logcontrole as an HTML page (pages/logcontrole-<day>.html).",
)
def daily_control_page(context: dg.AssetExecutionContext, output: OutputFolder) -> dg.MaterializeResult:
    from oke_core.pages import render_daily_control

    folder = output.for_scenario(context.partition_key)
    control = _read_json(folder / CONTROL_FILE, "daily_log_control")
    path = render_daily_control(control, _pages_dir(folder))
    return dg.MaterializeResult(
        metadata=_page_meta(
            path, f"Log control page of {control['day']}: {len(control['missing_results'])} missing results."
        )
    )


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["student_portal"],
    group_name="pages",
    kinds={"html"},
    description="Studentenportaal: what every student sees on the rehearsal's last day "
    "(pages/studentenportaal-<day>.html).",
)
def student_portal_page(context: dg.AssetExecutionContext, output: OutputFolder) -> dg.MaterializeResult:
    from oke_core.pages import render_portal

    folder = output.for_scenario(context.partition_key)
    portal = _read_json(folder / PORTAL_FILE, "student_portal")
    path = render_portal(portal, _pages_dir(folder))
    return dg.MaterializeResult(
        metadata=_page_meta(path, f"Portal page of {portal['day']} for {len(portal['students'])} students.")
    )


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["student_portal"],
    group_name="pages",
    kinds={"email"},
    description="Student e-mails the policy requires, as .eml files (pages/outbox/); optionally delivered "
    "to an SMTP relay.",
)
def student_outbox(
    context: dg.AssetExecutionContext, config: OutboxConfig, output: OutputFolder, krs_db: KrsDatabase
) -> dg.MaterializeResult:
    from oke_core.pages import send_outbox, write_outbox
    from oke_core.pages.letters import add_result_dates
    from oke_core.reports.files import read_jsonl

    folder = output.for_scenario(context.partition_key)
    source = folder / NOTIFICATIONS_FILE
    if not source.is_file():
        raise FileNotFoundError(f"{source}: not there; materialise 'student_portal' for this scenario first")
    store = krs_db.open(folder, context.partition_key)
    try:
        notes = add_result_dates(read_jsonl(source), store)
    finally:
        store.close()
    paths = write_outbox(notes, _pages_dir(folder) / "outbox")
    sent = (
        send_outbox(paths, config.smtp_host, config.smtp_port, starttls=config.starttls)
        if config.smtp_host
        else 0
    )
    return dg.MaterializeResult(
        metadata={
            "emails": len(paths),
            "sent": sent,
            "outbox": dg.MetadataValue.path(str(_pages_dir(folder) / "outbox")),
            "what_happened": what_happened(
                f"{len(paths)} student e-mails written"
                + (
                    f", {sent} delivered to {config.smtp_host}."
                    if sent
                    else " (no SMTP delivery configured)."
                )
            ),
        }
    )


@dg.asset(
    partitions_def=scenario_partitions,
    deps=["oke_log"],
    group_name="pages",
    kinds={"html"},
    description="Trainer walkthrough: an example result of variant 1 beside one of variant 2 "
    "(pages/uitleg-<associationId>.html).",
)
def walkthrough_page(
    context: dg.AssetExecutionContext, output: OutputFolder, krs_db: KrsDatabase
) -> dg.MaterializeResult:
    from oke_core.pages.examples import choose_examples
    from oke_core.pages.explain import explain
    from oke_core.reports import results_rows

    folder = output.for_scenario(context.partition_key)
    store = krs_db.open(folder, context.partition_key)
    try:
        examples = choose_examples(results_rows(store))
        if not examples:
            return dg.MaterializeResult(
                metadata={"what_happened": what_happened("No results yet: no walkthrough.")}
            )
        first = examples.get(1) or next(iter(examples.values()))
        path = explain(store, first, _pages_dir(folder))
    finally:
        store.close()
    return dg.MaterializeResult(
        metadata={
            **_page_meta(path, f"Walkthrough of {first}; the other variant: {examples.get(2, 'none')}."),
            "examples": json.dumps(examples, sort_keys=True),
        }
    )


def _day_key(context: dg.AssetExecutionContext) -> tuple[str, date]:
    keys = context.partition_key.keys_by_dimension  # type: ignore[union-attr]
    return keys["scenario"], date.fromisoformat(keys["day"])


@dg.asset(
    partitions_def=scenario_day_partitions,
    deps=[dg.AssetDep("daily_log_control_by_day")],
    group_name="pages",
    kinds={"html"},
    description="The log control page for one simulated day (pages/logcontrole-<day>.html).",
)
def daily_control_page_by_day(
    context: dg.AssetExecutionContext, output: OutputFolder
) -> dg.MaterializeResult:
    from oke_core.pages import render_daily_control

    scenario, day = _day_key(context)
    folder = output.for_scenario(scenario)
    control = _read_json(folder / CONTROL_DAY_FILE.format(day=day.isoformat()), "daily_log_control_by_day")
    path = render_daily_control(control, _pages_dir(folder))
    return dg.MaterializeResult(metadata=_page_meta(path, f"Log control page of {day}."))


@dg.asset(
    partitions_def=scenario_day_partitions,
    deps=[dg.AssetDep("student_portal_by_day")],
    group_name="pages",
    kinds={"html"},
    description="The student portal as it looked on one simulated day (pages/studentenportaal-<day>.html).",
)
def student_portal_page_by_day(
    context: dg.AssetExecutionContext, output: OutputFolder
) -> dg.MaterializeResult:
    from oke_core.pages import render_portal

    scenario, day = _day_key(context)
    folder = output.for_scenario(scenario)
    portal = _read_json(folder / PORTAL_DAY_FILE.format(day=day.isoformat()), "student_portal_by_day")
    path = render_portal(portal, _pages_dir(folder))
    return dg.MaterializeResult(metadata=_page_meta(path, f"Portal page of {day}."))


# Scenario-partitioned pages (part of a rehearsal) and the per-day pages (trainers step through days).
PAGE_ASSETS = [exam_board_page, daily_control_page, student_portal_page, student_outbox, walkthrough_page]
PAGE_DAY_ASSETS = [daily_control_page_by_day, student_portal_page_by_day]
