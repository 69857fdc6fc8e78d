"""`oke validate` (placeholder until its issue lands)."""

import typer


def command() -> None:
    typer.echo("oke validate: not available yet", err=True)
    raise typer.Exit(2)
