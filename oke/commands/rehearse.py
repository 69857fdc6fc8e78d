"""`oke rehearse`: the whole chain for one scenario, headless, on the same Dagster assets as the UI."""

from __future__ import annotations

import os
from pathlib import Path

import typer

SUMMARY_ROWS = [
    ("messages", "messages received"),
    ("applied", "applied"),
    ("duplicates", "duplicates recognised"),
    ("quarantined", "quarantined"),
    ("provisional", "provisional results"),
    ("definitive", "definitive results"),
    ("deadline_breaches", "deadline breaches"),
]


def command(
    scenario: str = typer.Argument("variant1-baseline", help="Scenario name (scenarios/<name>.yaml)."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default ./out/<scenario>)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: the scenario's own seed)."),
) -> None:
    """Simulate, validate, ingest and report one scenario; exit 0 only when every asset check passed."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from assets.partitions import scenario_names
    from assets.rehearsal import run_rehearsal, stages

    console = Console(stderr=True)
    known = scenario_names()
    if scenario not in known:
        console.print(
            f"[red]error:[/red] unknown scenario {escape(repr(scenario))}; "
            f"known: {', '.join(known) or '(none)'}",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    folder = out or Path("out") / scenario
    plan = stages()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(f"rehearsal {scenario}", total=len(plan))

        def on_stage(name: str, state: str) -> None:
            if state == "start":
                progress.update(task, description=f"rehearsal {scenario}: {name}")
            elif state == "done":
                progress.advance(task)

        outcome = run_rehearsal(
            scenario, folder, seed=seed, db_url=os.environ.get("OKE_DB_URL") or None, on_stage=on_stage
        )
    out_console = Console()
    if outcome.error is not None:
        console.print(
            f"[red]error in stage {outcome.failed_stage}:[/red]", escape(outcome.error), soft_wrap=True
        )
        raise typer.Exit(1)
    summary = outcome.summary or {}
    counts = summary.get("counts", {})
    out_console.print(
        f"Rehearsal [bold]{scenario}[/bold]: seed {summary.get('seed')}, policy {summary.get('policy')}, "
        f"as of {summary.get('as_of')}"
    )
    table = Table()
    table.add_column("")
    table.add_column("count", justify="right")
    for key, label in SUMMARY_ROWS:
        table.add_row(label, str(counts.get(key, "-")))
    out_console.print(table)
    checks = Table(title="Asset checks")
    checks.add_column("asset")
    checks.add_column("check")
    checks.add_column("result")
    for c in sorted(outcome.checks, key=lambda c: (c.asset, c.name)):
        checks.add_row(c.asset, c.name, "[green]passed[/green]" if c.passed else "[red]FAILED[/red]")
    out_console.print(checks)
    out_console.print(f"Files written to {folder}/")
    raise typer.Exit(0 if outcome.ok else 1)
