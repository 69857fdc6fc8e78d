"""Entry point of the `oke` command.

Each subcommand lives in its own module under `oke.commands`; modules import their heavy
dependencies (Dagster, the HTTP stack) inside the command function so `oke --help` stays fast.
"""

from __future__ import annotations

import typer

from oke.commands import explain, ingest, rehearse, report, send, serve, simulate, validate

app = typer.Typer(
    name="oke",
    help="Rehearse the Dutch MBO exam-results chain OKE: validate, simulate, ingest, serve, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("validate", help="Check flow-3/4/5 messages against the OKE schemas and rules.")(validate.command)
app.command("simulate", help="Simulate an institution's exam year and write planning, messages and truth.")(
    simulate.command
)
app.command("ingest", help="Apply a message file to a KRS store and print the counts.")(ingest.command)
app.command("rehearse", help="Run the whole chain for a scenario (Dagster, in-process), write the outputs.")(
    rehearse.command
)
app.command("serve", help="Run the mock Toetsplanning/KRS receiver (OAuth2, flows 3 and 4) on loopback.")(
    serve.command
)
app.command("send", help="Send a message file to a receiver, as a test administration system would.")(
    send.command
)
app.add_typer(report.app, name="report", help="Reports on a store: vendor report of every request received.")
app.command("explain", help="Trainer walkthrough: follow one result through the chain, as an HTML page.")(
    explain.command
)


def main() -> None:
    from oke_core.dataerrors import DataError

    try:
        app()
    except DataError as exc:  # bad input found below a command's own checks: a clear line, exit 2
        typer.echo(f"oke: {exc}", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
