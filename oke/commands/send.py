"""`oke send`: play the test administration system against any receiver (this server or a vendor's)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def command(
    messages: Path = typer.Argument(..., help="Envelope file (messages.jsonl).", exists=True, dir_okay=False),
    to: str = typer.Option(..., "--to", help="Receiver base URL, e.g. http://127.0.0.1:8080"),
    token_url: str = typer.Option(
        None, "--token-url", help="OAuth2 token endpoint (default: <--to>/oauth/token)."
    ),
    client_id: str = typer.Option(None, "--client-id", envvar="OKE_CLIENT_ID", help="OAuth2 client id."),
    client_secret: str = typer.Option(
        None,
        "--client-secret",
        envvar="OKE_CLIENT_SECRET",
        help="OAuth2 client secret (or OKE_CLIENT_SECRET).",
        show_default=False,
    ),
    scope: str = typer.Option(None, "--scope", help="Scope to ask for (default: all the client has)."),
    fmt: str = typer.Option("text", "--format", help="Summary format: text, json or junit."),
    output: Path = typer.Option(None, "--output", "-o", help="Write the summary here instead of stdout."),
    journal: Path = typer.Option(None, "--journal", help="Remember accepted messages; a rerun skips them."),
    max_attempts: int = typer.Option(
        8, "--max-attempts", min=1, help="Attempts per message (transient errors)."
    ),
    backoff: float = typer.Option(0.5, "--backoff", min=0.0, help="First retry delay in seconds (doubles)."),
    timeout: float = typer.Option(30.0, "--timeout", min=0.1, help="Per-request timeout in seconds."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any message was refused."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Send every envelope in order; retry transient failures; summarise per status."""
    import httpx
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from oke.http.reporting import FORMATS, render_send
    from oke.http.sender import Journal, Sender, TokenError, TokenSource, send_file
    from oke_core.dataerrors import DataError

    if fmt not in FORMATS:
        typer.echo(f"oke send: --format must be one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    if (client_id is None) != (client_secret is None):
        typer.echo("oke send: give both --client-id and --client-secret (or neither)", err=True)
        raise typer.Exit(2)
    client = httpx.Client(timeout=timeout)
    tokens = None
    if client_id is not None:
        tokens = TokenSource(
            client, token_url or to.rstrip("/") + "/oauth/token", client_id, client_secret, scope
        )
    sender = Sender(to, tokens=tokens, client=client, max_attempts=max_attempts, backoff=backoff)
    log = Journal(journal)
    show = not quiet and sys.stderr.isatty()
    progress = Progress(
        TextColumn("sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not show,
        transient=True,
    )
    task = progress.add_task("send", total=None)
    try:
        with progress:
            report = send_file(
                messages,
                sender,
                journal=log,
                on_start=lambda n: progress.update(task, total=n),
                on_result=lambda r: progress.advance(task),
            )
    except DataError as exc:
        typer.echo(f"oke send: {exc} (nothing was sent)", err=True)
        raise typer.Exit(2) from None
    except TokenError as exc:
        typer.echo(f"oke send: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        log.close()
        sender.close()
    if output is not None:
        with output.open("w", encoding="utf-8") as fh:
            render_send(report, fmt, fh)
    else:
        render_send(report, fmt, sys.stdout)
    outcomes = report.by_outcome
    if outcomes.get("failed") or (strict and outcomes.get("refused")):
        raise typer.Exit(1)
