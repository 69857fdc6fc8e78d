"""`oke ingest`: apply a message file (and KRS events) to a KRS store and print the counts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer


def command(
    messages: Path = typer.Argument(..., help="messages.jsonl: one envelope per line, in arrival order."),
    planning: Path = typer.Option(..., "--planning", help="Planning folder (institution.json, *.jsonl)."),
    db: str | None = typer.Option(
        None, "--db", help="Store URL or SQLite path (default: krs.sqlite in cwd)."
    ),
    policy: str | None = typer.Option(
        None,
        "--policy",
        help="Preset name or policy YAML (default: from planning/institution.json, else beoordelen).",
    ),
    events: Path | None = typer.Option(
        None, "--events", help="KRS events (default: events.jsonl beside the messages file, when present)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Advance the clock to this date (YYYY-MM-DD) at the end."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
    reprocess: bool = typer.Option(
        False,
        "--reprocess",
        help="Try the open quarantine again first (done anyway when the planning brought new rows).",
    ),
) -> None:
    """Exit 0 when the file was processed, whatever was quarantined; 2 on unusable input; 1 when
    the store could not be written."""
    import orjson
    from rich.console import Console
    from rich.table import Table

    from oke_core.dataerrors import DataError
    from oke_core.replay import ingest_files
    from oke_core.store.writer import WriteFailed

    err = Console(stderr=True)
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        err.print(f"--as-of {as_of!r}: not a date (YYYY-MM-DD)", style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    if not messages.is_file():
        err.print(f"{messages}: file not found", style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2)
    if events is not None and not events.is_file():
        err.print(f"--events {events}: file not found", style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2)
    if events is None and (messages.parent / "events.jsonl").is_file():
        events = messages.parent / "events.jsonl"
    try:
        counts, store_url, policy_name, again = ingest_files(
            messages, planning, db=db, policy=policy, events=events, as_of=day, reprocess=reprocess
        )
    except DataError as exc:
        err.print(str(exc), style="red", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except WriteFailed as exc:  # the store, not the input: what is stored ends at a whole batch
        err.print(
            f"{exc}. The store holds every batch before it; run the same command again to carry on "
            "(what is stored already is recognised as duplicates).",
            style="red",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    data = counts.as_dict() | {"store": store_url, "policy": policy_name}
    if again is not None:
        data["reprocessed"] = {
            "tried": again.received,
            "applied": again.applied,
            "duplicates": again.duplicates,
            "still_quarantined": again.quarantined_total,
        }
    if json_out:
        typer.echo(orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode())
        return
    out = Console()
    # a line of its own: as a table title it wrapped to the width of the two narrow columns
    out.print(
        f"oke ingest -> {store_url} (policy {policy_name})", markup=False, highlight=False, soft_wrap=True
    )
    table = Table()
    table.add_column("count")
    table.add_column("n", justify="right")
    for key in ("received", "applied", "duplicates"):
        table.add_row(key, str(data[key]))
    table.add_row("quarantined", str(data["quarantined_total"]))
    for reason, n in data["quarantined"].items():
        table.add_row(f"  {reason}", str(n))
    if events is not None:
        table.add_row("events", str(data["events"]))
        table.add_row("  event errors", str(data["event_errors"]))
        table.add_row("  event duplicates", str(data["event_duplicates"]))
    out.print(table)
    if again is not None:  # messages received before, so not in the counts above
        r = data["reprocessed"]
        out.print(
            f"quarantine tried again first: {r['tried']} open, {r['applied']} applied now, "
            f"{r['duplicates']} duplicates, {r['still_quarantined']} still quarantined",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
