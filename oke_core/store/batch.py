"""Batched writes: one executemany per table and batch, straight to the DB-API cursor.

SQLAlchemy's per-row parameter processing costs more than the insert itself on the hot path, so
the statement text is built once per table (quoted by the dialect) and rows go as tuples.
Dates become ISO text on SQLite through a registered sqlite3 adapter (what SQLAlchemy's Date type
stores there); psycopg adapts them natively.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, Table

CHUNK = 5000
_first = itemgetter(0)


class Recorder:
    """Stands in for a connection to collect a write's statements instead of running them.

    The background writer (``store.writer``) runs them in its own process; the statements are the
    ones the functions below would run here, so both ways store the same rows.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.statements: list[tuple[str, list[Any], bool]] = []


Target = Connection | Recorder


@cache
def _placeholder(paramstyle: str) -> str:
    return "?" if paramstyle == "qmark" else "%s"


def _sql_insert(conn: Target, table: Table, cols: tuple[str, ...]) -> str:
    q = conn.dialect.identifier_preparer.quote
    ph = _placeholder(conn.dialect.paramstyle)
    names = ", ".join(q(c) for c in cols)
    return f"INSERT INTO {q(table.name)} ({names}) VALUES ({', '.join([ph] * len(cols))})"


def _sql_update(conn: Target, table: Table, key: str, cols: tuple[str, ...]) -> str:
    q = conn.dialect.identifier_preparer.quote
    ph = _placeholder(conn.dialect.paramstyle)
    sets = ", ".join(f"{q(c)} = {ph}" for c in cols)
    return f"UPDATE {q(table.name)} SET {sets} WHERE {q(key)} = {ph}"


def _run(conn: Target, sql: str, rows: list[Any], key_order: bool = False) -> None:
    """``key_order``: insert the rows sorted (by their first value) rather than as given."""
    if isinstance(conn, Recorder):
        conn.statements.append((sql, rows, key_order))  # sorted by whoever runs it
        return
    if key_order:
        rows = sorted(rows, key=_first)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start : start + CHUNK])
    finally:
        cursor.close()


def select_in(
    conn: Connection, table: Table, cols: tuple[str, ...], key: str, values: Sequence[Any], chunk: int = 500
) -> list[tuple[Any, ...]]:
    """Rows (``cols``) whose ``key`` is one of ``values``: one raw ``IN (...)`` query per chunk.

    SQLAlchemy's expanding IN compiles per call, which cost more than the lookup itself here.
    """
    q = conn.dialect.identifier_preparer.quote
    ph = _placeholder(conn.dialect.paramstyle)
    head = f"SELECT {', '.join(q(c) for c in cols)} FROM {q(table.name)} WHERE {q(key)} IN "
    found: list[tuple[Any, ...]] = []
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(values), chunk):
            part = values[start : start + chunk]
            cursor.execute(head + f"({', '.join([ph] * len(part))})", part)
            found.extend(tuple(r) for r in cursor.fetchall())
    finally:
        cursor.close()
    return found


def insert_many(conn: Target, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT all rows (each a dict with the same keys) in executemany chunks."""
    if rows:
        cols = tuple(rows[0])
        getter = itemgetter(*cols)
        data = [getter(r) for r in rows] if len(cols) > 1 else [(getter(r),) for r in rows]
        _run(conn, _sql_insert(conn, table, cols), data)


def insert_tuples(
    conn: Target,
    table: Table,
    cols: tuple[str, ...],
    rows: list[tuple[Any, ...]] | list[list[Any]],
    *,
    key_order: bool = False,
) -> None:
    """Rows are tuples or lists (the OKE-log's, built per entry) of the values of ``cols``.

    ``key_order``: in the order of the first column (unique), which a random-key index takes
    with far fewer page visits than arrival order."""
    if rows:
        _run(conn, _sql_insert(conn, table, cols), rows, key_order)


def upsert_tuples(
    conn: Target, table: Table, key: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT, or UPDATE the row with the same ``key`` (the first of ``cols``): SQLite and PostgreSQL."""
    if rows:
        q = conn.dialect.identifier_preparer.quote
        sets = ", ".join(f"{q(c)} = excluded.{q(c)}" for c in cols if c != key)
        _run(conn, f"{_sql_insert(conn, table, cols)} ON CONFLICT ({q(key)}) DO UPDATE SET {sets}", rows)


def update_many(conn: Target, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """UPDATE ... WHERE key = row[key] for each row (all rows carry the same columns)."""
    if rows:
        cols = tuple(c for c in rows[0] if c != key)
        getter = itemgetter(*cols, key)
        _run(conn, _sql_update(conn, table, key, cols), [getter(r) for r in rows])


def update_tuples(
    conn: Target, table: Table, key: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Rows are the values of ``cols`` followed by the key value."""
    if rows:
        _run(conn, _sql_update(conn, table, key, cols), rows)
