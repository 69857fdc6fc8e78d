"""`oke report` (placeholder until its issue lands)."""

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("vendor")
def vendor() -> None:
    """Every request the receiver got, accepted or refused, with reasons."""
    typer.echo("oke report vendor: not available yet", err=True)
    raise typer.Exit(2)
