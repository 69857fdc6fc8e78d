"""`oke rehearse` (placeholder until its issue lands)."""

import typer


def command() -> None:
    typer.echo("oke rehearse: not available yet", err=True)
    raise typer.Exit(2)
