"""`oke simulate`: play an institution's exam year and write planning, messages, events and truth."""

from __future__ import annotations

from pathlib import Path

import typer


def command(
    scenario: str = typer.Argument(
        "variant1-baseline", help="Scenario name in scenarios/ or a path to a YAML file."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed (default: the scenario's seed)."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: ./out/<scenario>)."),
    self_check: bool = typer.Option(
        False, "--self-check", help="Validate every message with the contract afterwards."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
) -> None:
    import sys

    from rich.console import Console

    from oke_sim.scenario import ScenarioError, load_scenario
    from oke_sim.simulation import simulate

    err = Console(stderr=True)
    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        for problem in exc.problems:
            err.print(f"[red]error[/red] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    out_dir = out if out is not None else Path("out") / sc.name
    show = not quiet and sys.stderr.isatty()
    if show:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("simulating {task.description}"),
            BarColumn(),
            TextColumn("day {task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task(sc.name, total=None)
            summary = simulate(
                sc, out_dir, seed, progress=lambda d, n: bar.update(task, completed=d, total=n)
            )
    else:
        summary = simulate(sc, out_dir, seed)
    if not quiet:
        faults = ", ".join(f"{k} {v}" for k, v in summary.faults.items()) or "none"
        typer.echo(
            f"{summary.scenario} (seed {summary.seed}) -> {summary.out_dir}\n"
            f"  students {summary.students}, components {summary.components}, sessions {summary.offerings}, "
            f"participations {summary.associations}\n"
            f"  messages {summary.messages} (flow 3: {summary.flow3}, flow 4: {summary.flow4}), "
            f"events {summary.events}, truth results {summary.results}\n"
            f"  injected faults: {faults}\n"
            f"  simulated until {summary.simulated_until}; defect catalogue {summary.defect_catalogue}"
        )
    if self_check:
        from oke_sim.selfcheck import self_check as run_check

        report = run_check(out_dir)
        for failure in report.failures:
            err.print(f"[red]self-check[/red] {failure}", highlight=False)
        if not report.ok:
            raise typer.Exit(1)
        typer.echo(f"  self-check: {report.checked} messages, all as the truth says")
