"""`oke report`: reports on a store. `vendor` lists every request the receiver got, with reasons."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("vendor")
def vendor(
    db: str = typer.Option(None, "--db", help="Store URL or SQLite path (default: krs.sqlite here)."),
    fmt: str = typer.Option("text", "--format", help="text, json or junit."),
    client_id: str = typer.Option(None, "--client", help="Only the requests of this client_id."),
    refused_only: bool = typer.Option(
        False, "--refused-only", help="List only refused requests (counts stay)."
    ),
    output: Path = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
) -> None:
    """Every request the receiver got, accepted or refused, with the reasons."""
    from oke.http.reporting import FORMATS, render_vendor
    from oke_core.requestlog import iter_requests, vendor_report
    from oke_core.store import Store

    if fmt not in FORMATS:
        typer.echo(f"oke report vendor: --format must be one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    store = Store.open(db, must_exist=True)  # a DataError is printed as one line, exit 2 (oke.cli)
    try:
        report = vendor_report(iter_requests(store.engine, client_id), include_accepted=not refused_only)
    finally:
        store.close()
    if output is not None:
        with output.open("w", encoding="utf-8") as fh:
            render_vendor(report, fmt, fh)
    else:
        render_vendor(report, fmt, sys.stdout)
