"""Engine set-up: SQLite file by default (WAL, synchronous=NORMAL, foreign keys), PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, create_engine, event

DEFAULT_SQLITE = "krs.sqlite"

# Batched writes bypass SQLAlchemy types: store dates the way its SQLite Date type does (ISO text).
sqlite3.register_adapter(date, date.isoformat)


def normalise_url(url: str | Path | None) -> str:
    """None -> ``sqlite:///krs.sqlite`` in cwd; a plain path -> a SQLite file URL."""
    if url is None:
        return f"sqlite:///{DEFAULT_SQLITE}"
    text = str(url)
    if "://" not in text:
        return f"sqlite:///{text}"
    if text.startswith("postgresql://"):
        return "postgresql+psycopg://" + text[len("postgresql://") :]
    return text


def make_engine(url: str, schema: str | None = None) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache: random uuid keys touch many pages
            cur.close()

        return engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)
