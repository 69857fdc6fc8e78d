"""`oke validate`: check flow-3/4/5 messages against the OKE schemas and rules (a thin front door)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Message files (.json: one message; .jsonl: one per line) or directories (recursive)."
        ),
    ],
    flow: Annotated[
        str, typer.Option("--flow", help="3, 4, 5, or auto (from method/path, else the body).")
    ] = "auto",
    fmt: Annotated[str, typer.Option("--format", help="text, json or junit.")] = "text",
    context: Annotated[
        Path | None,
        typer.Option(
            "--context",
            help="YAML/JSON: association/offering id -> result_value_type, max_raw_score, assessor_required.",
        ),
    ] = None,
) -> None:
    """Exit 0 when every message is valid (warnings allowed), 1 when any is invalid, 2 on usage/I/O
    errors and when the paths hold no message at all."""
    import sys

    from oke_core.contract import Contract, SchemaLoadError
    from oke_core.contract.context import ContextError, load_context
    from oke_core.contract.report import FORMATS, make_reporter
    from oke_core.contract.runner import check_message
    from oke_core.contract.sources import SourceError, iter_files, read_file

    def warn(message: str) -> None:
        typer.echo(f"oke validate: warning: {message}", err=True)

    def usage(message: str) -> typer.Exit:
        typer.echo(f"oke validate: {message}", err=True)
        return typer.Exit(2)

    if flow not in ("3", "4", "5", "auto"):
        raise usage(f"--flow must be 3, 4, 5 or auto, not {flow!r}")
    if fmt not in FORMATS:
        raise usage(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    forced = None if flow == "auto" else int(flow)
    try:
        contexts = load_context(context) if context is not None else None
        contract = Contract.load()
        files = []
        for path in paths:
            found = list(iter_files([path]))
            if not found:
                warn(f"{path}: no .json or .jsonl files in this directory")
            files.extend(found)
    except (ContextError, SchemaLoadError, SourceError) as exc:
        raise usage(str(exc)) from None
    reporter = make_reporter(fmt, sys.stdout)
    io_error: str | None = None
    for file in files:
        before = reporter.tally.messages
        try:
            for message in read_file(file):
                reporter.add(message.source, check_message(contract, message, forced, contexts)[1])
        except SourceError as exc:
            io_error = str(exc)
            break
        if reporter.tally.messages == before:
            warn(f"{file}: no messages (the file is empty or holds only blank lines)")
    reporter.finish()
    if io_error is not None:
        raise usage(io_error)
    if not reporter.tally.messages:
        # an export that came out empty must not pass a pipeline as "all valid"
        raise usage("nothing validated: no messages in " + ", ".join(str(p) for p in paths))
    raise typer.Exit(1 if reporter.tally.invalid else 0)
