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
    scenario: str = typer.Argument(
        "variant1-baseline", help="Scenario name (scenarios/<name>.yaml), or the path of your own .yaml file."
    ),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default ./out/<scenario>)."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (default: the scenario's own seed)."),
) -> None:
    """Simulate, validate, ingest and report one scenario; exit 0 only when every asset check passed."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console(stderr=True)
    scenario_dir: Path | None = None
    given = Path(scenario)
    if given.suffix in (".yaml", ".yml") or len(given.parts) > 1:
        # an institution's own scenario: its folder becomes the scenario library of this run (the
        # asset definitions read OKE_SCENARIO_DIR when they are first imported, just below)
        if given.suffix != ".yaml" or not given.is_file():
            console.print(
                f"[red]error:[/red] {escape(str(given))}: no such scenario file "
                "(a scenario is a .yaml file, or the name of one in scenarios/)",
                soft_wrap=True,
            )
            raise typer.Exit(2)
        scenario_dir = given.resolve().parent
        os.environ["OKE_SCENARIO_DIR"] = str(scenario_dir)
        scenario = given.stem

    from assets.partitions import scenario_names, scenario_partitions
    from assets.rehearsal import run_rehearsal, stages

    known = scenario_names(scenario_dir)
    if scenario_dir is not None and scenario not in scenario_partitions.get_partition_keys():
        console.print(  # only when the definitions were imported earlier in this process
            f"[red]error:[/red] the asset definitions were loaded with another scenario folder; "
            f"run `oke rehearse {escape(str(given))}` in a new process",
            soft_wrap=True,
        )
        raise typer.Exit(2)
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
            scenario,
            folder,
            seed=seed,
            db_url=os.environ.get("OKE_DB_URL") or None,
            scenario_dir=scenario_dir,
            on_stage=on_stage,
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
