"""`oke explain`: the trainer walkthrough of one result, as a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def command(
    association_id: Annotated[
        str, typer.Argument(help="The deelname (associationId) to follow through the chain.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write uitleg-<associationId>.html into.")],
    db: Annotated[
        str | None, typer.Option("--db", help="SQLAlchemy URL of the KRS store (e.g. PostgreSQL).")
    ] = None,
    rehearsal: Annotated[
        Path | None,
        typer.Option("--rehearsal", help="A rehearsal's output folder (out/<scenario>) with its krs.sqlite."),
    ] = None,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="With --db on PostgreSQL: the rehearsal's scenario.")
    ] = None,
    alone: Annotated[
        bool, typer.Option("--alone", help="Show only this result, without an example of the other variant.")
    ] = False,
) -> None:
    """Follow one result from sitting to appeal window; the other variant is shown beside it."""

    def usage(message: str) -> typer.Exit:
        typer.echo(f"oke explain: {message}", err=True)
        return typer.Exit(2)

    if (db is None) == (rehearsal is None):
        raise usage("give exactly one of --db URL or --rehearsal DIR")
    if rehearsal is not None:
        sqlite = rehearsal / "krs.sqlite"
        if not sqlite.is_file():
            raise usage(f"{sqlite}: no KRS database here; run `oke rehearse` first or pass --db")
    elif not str(db).startswith("sqlite") and not scenario:
        raise usage("--db on a database server needs --scenario NAME (each rehearsal has its own schema)")

    from oke_core.pages.explain import explain

    try:
        store = _open_store(db, rehearsal, scenario)
    except Exception as exc:  # any connection problem becomes one clear line, not a traceback
        raise usage(f"cannot open the KRS store: {exc}") from None
    try:
        path = explain(store, association_id, out, with_counterpart=not alone)
    except LookupError as exc:
        raise usage(str(exc)) from None
    finally:
        store.close()
    typer.echo(str(path))


def _open_store(db: str | None, rehearsal: Path | None, scenario: str | None):  # type: ignore[no-untyped-def]
    """The rehearsal's KRS store, opened the way the Dagster assets open it."""
    from oke_core.store import Store

    if rehearsal is not None:
        return Store.open(f"sqlite:///{(rehearsal / 'krs.sqlite').as_posix()}")
    if str(db).startswith("sqlite"):
        return Store.open(db, must_exist=True)
    from assets.resources import KrsDatabase

    return KrsDatabase(url=db).open(Path("."), str(scenario))
