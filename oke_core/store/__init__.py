"""The KRS store: SQLModel tables on SQLite (embedded default) or PostgreSQL (same code, by URL)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Engine, Table, func, insert, inspect, select, text
from sqlalchemy.exc import ArgumentError, DBAPIError

from oke_core.dataerrors import DataError
from oke_core.planning import first_line_of
from oke_core.quarantine import nl_consumer
from oke_core.store import models
from oke_core.store.engine import (
    URL_HELP,
    make_engine,
    normalise_url,
    open_problem,
    redact_url,
    sqlite_file_problem,
)
from oke_core.store.models import TABLES, KrsTable, SQLModel

__all__ = ["Store", "models"]


def dumps(obj: Any) -> str:
    """Sorted-key compact JSON (deterministic text for the log and JSON columns)."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode()


_CONSUMER_FIELDS = {
    "attendance": "attendance",
    "raw_score": "rawScore",
    "max_raw_score": "maxRawScore",
    "assessor_id": "assessorId",
    "assessor_code": "assessorCode",
    "test_date": "testDate",
    "irregularities": "irregularities",
}


def delivered_fields(body_text: str) -> dict[str, Any]:
    """What one delivery said, as it said it (a merge-patch leaves out what did not change).

    ``score``, ``pass`` and ``result_date`` from the ``result``; the rest from its ``nl-test-admin``
    consumer; None where the body does not say.
    """
    try:
        body = orjson.loads(body_text)
    except orjson.JSONDecodeError:
        body = None
    res = body.get("result") if isinstance(body, dict) else None
    res = res if isinstance(res, dict) else {}
    nl = nl_consumer(res) or {}
    out = {"score": res.get("score"), "pass": res.get("pass"), "result_date": res.get("resultDate")}
    out |= {col: nl.get(key) for col, key in _CONSUMER_FIELDS.items()}
    out["final"] = bool(nl.get("final"))
    return out


#: The planning file each store table is loaded from (``load_planning``), for error messages.
_PLANNING_FILES = {
    "institution": "institution.json",
    "student": "students.jsonl",
    "assessor": "assessors.jsonl",
    "exam_component": "components.jsonl",
    "exam_version": "components.jsonl",
    "exam_session": "offerings.jsonl",
    "participation": "associations.jsonl",
}


class PlanningChanged(DataError):
    """A planning row differs from the one the store was loaded with (rule ``planning-changed``)."""


def _same(a: Any, b: Any) -> bool:
    """Equal as stored: a date and its ISO text, a number and its text (backends convert some)."""
    if a == b:
        return True
    norm = [x.isoformat() if hasattr(x, "isoformat") else x for x in (a, b)]
    return norm[0] == norm[1] or str(norm[0]) == str(norm[1])


#: Store columns named otherwise in the planning files (``sitting_date`` is the day of ``start``).
_FILE_FIELDS = {"cut_score_required": "cut_score", "sitting_date": "start"}


def _unchanged(planning: Any, table: str, key: str, row: dict[str, Any], old: Any) -> None:
    for i, (column, value) in enumerate(row.items()):
        if not _same(old[i], value):
            name = _PLANNING_FILES.get(table, f"{table} rows")
            folder = getattr(planning, "source", "")
            path = Path(folder) / name if folder else Path(name)
            found = first_line_of(path, key, str(row[key]))
            field = _FILE_FIELDS.get(column, column)
            # the changed field beside the id it was found by (an exam version sits in /versions/N)
            pointer = found[1].rsplit("/", 1)[0] + f"/{field}" if found else f"/{field}"
            raise PlanningChanged(
                path,
                found[0] if found else None,
                pointer,
                "planning-changed",
                f"{key} {row[key]}: {column} is {old[i]!r} in the store but {value!r} in this planning; "
                "a store keeps the planning its results were built on "
                "(use a new store, or a planning that only adds rows)",
            )


class Store:
    """A handle on one KRS database. Reads are plain dict rows; writes come from the Ingestor."""

    def __init__(self, engine: Engine, url: str, schema: str | None = None) -> None:
        self.engine = engine
        self.url = url
        self.schema = schema

    @classmethod
    def open(
        cls,
        url: str | Path | None = None,
        *,
        schema: str | None = None,
        create: bool = True,
        must_exist: bool = False,
    ) -> Store:
        """``None`` -> ``krs.sqlite`` in cwd; ``sqlite:///path``; ``postgresql+psycopg://...``.

        ``must_exist`` (commands that only read, such as reports) refuses a SQLite file that is not
        there instead of creating an empty store: a mistyped path must not report "nothing".

        ``schema`` (PostgreSQL only) puts the tables in their own schema, created if needed.
        A store that cannot be opened (no such folder, not a SQLite file, unknown backend, driver
        not installed, server unreachable, an empty URL) raises DataError (rule ``store-open``)
        naming the URL without its password. With ``create=False`` nothing is connected yet, so
        a server that does not answer is only found on first use.
        """
        if url is not None and not str(url).strip():
            raise DataError(
                '""', None, "", "store-open", f"empty store URL (it would be an in-memory store): {URL_HELP}"
            )
        full = normalise_url(url)
        shown = redact_url(full if url is None else str(url))
        engine: Engine | None = None
        try:
            problem = sqlite_file_problem(full, must_exist=must_exist) if full.startswith("sqlite") else None
            if problem:
                raise DataError(shown, None, "", "store-open", problem)
            if schema and full.startswith("postgresql"):
                boot = make_engine(full)
                try:
                    with boot.begin() as conn:
                        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                finally:
                    boot.dispose()
            engine = make_engine(full, schema)
            if create:
                SQLModel.metadata.create_all(engine, tables=[m.__table__ for m in TABLES])
        except (ArgumentError, DBAPIError, ImportError) as exc:
            if engine is not None:
                engine.dispose()
            raise DataError(shown, None, "", "store-open", open_problem(exc, full)) from None
        store = cls(engine, full, schema)
        if create:
            store.check_schema()
        return store

    def check_schema(self) -> None:
        """Refuse a store whose tables another version of oke made, before any write fails halfway.

        ``create_all`` adds missing tables but never changes existing ones. A store opened with
        ``create=False`` is not checked, so an old store's OKE-log can still be read and replayed
        into a new one (``store.log(bodies=True)`` into ``okelog.replay_log``).
        """
        names = [m.__table__.name for m in TABLES]
        found = inspect(self.engine).get_multi_columns(filter_names=names)
        have_by_table = {name: {c["name"] for c in cols} for (_schema, name), cols in found.items()}
        for model in TABLES:
            table = model.__table__
            want = {c.name for c in table.columns}
            have = have_by_table.get(table.name, want)
            if have != want:
                missing = ", ".join(sorted(want - have)) or "none"
                extra = ", ".join(sorted(have - want)) or "none"
                raise DataError(
                    redact_url(self.url),
                    None,
                    f"/{table.name}",
                    "store-schema",
                    f"table {table.name} was made by another version of oke (columns missing: {missing}; "
                    f"columns no longer used: {extra}). Use a new store (another --db); the old "
                    "store's OKE-log can be replayed into it (docs/core.md, 'OKE-log format')",
                )

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def close(self) -> None:
        self.engine.dispose()

    def drop_all(self) -> None:
        SQLModel.metadata.drop_all(self.engine, tables=[m.__table__ for m in TABLES])

    # -- planning ---------------------------------------------------------------------------
    def load_planning(self, planning: Any) -> int:
        """Insert the planning rows that are not in the store yet (idempotent); returns rows added.

        A row the store already has must be unchanged: the results in the store were built on it
        (deadlines from its dates, grades from its components), and a log replay redoes them with
        the planning it is given. A changed row is refused (``PlanningChanged``) before anything
        is written; adding rows (a later, larger planning) is fine.
        """
        inst = planning.institution
        tables: list[tuple[Table, str, list[dict[str, Any]]]] = [
            (
                models.Institution.__table__,
                "institution_id",
                [
                    {
                        "institution_id": inst["institution_id"],
                        "name": inst["name"],
                        "brin": inst.get("brin", ""),
                        "policy": inst.get("policy", ""),
                        "closure_days": dumps(inst.get("closure_days", [])),
                        "year_start": _date(inst.get("year_start")),
                        "year_end": _date(inst.get("year_end")),
                    }
                ],
            ),
            (
                models.Student.__table__,
                "student_id",
                [
                    {
                        k: s.get(k, "")
                        for k in (
                            "student_id",
                            "student_number",
                            "given_name",
                            "tussenvoegsel",
                            "family_name",
                            "email",
                            "crebo",
                            "cohort",
                            "college_code",
                        )
                    }
                    for s in planning.students.values()
                ],
            ),
            (
                models.Assessor.__table__,
                "assessor_id",
                [
                    {k: a.get(k, "") for k in ("assessor_id", "assessor_code", "name", "college_code")}
                    for a in planning.assessors.values()
                ],
            ),
            (
                models.ExamComponent.__table__,
                "component_id",
                [
                    {
                        "component_id": c.component_id,
                        "code": c.code,
                        "name": c.name,
                        "college_code": c.college_code,
                        "result_value_type": c.result_value_type,
                        "pass_from": c.pass_from,
                        "variant": c.variant,
                        "supplier": c.supplier,
                        "cut_score_required": c.cut_score,
                        "assessor_required": c.assessor_required,
                    }
                    for c in planning.components.values()
                ],
            ),
            (
                models.ExamVersion.__table__,
                "exam_version_id",
                [
                    {
                        "exam_version_id": v.exam_version_id,
                        "component_id": v.component_id,
                        "code": v.code,
                        "max_raw_score": v.max_raw_score,
                    }
                    for v in planning.exam_versions.values()
                ],
            ),
            (
                models.ExamSession.__table__,
                "offering_id",
                [
                    {
                        "offering_id": o.offering_id,
                        "component_id": o.component_id,
                        "exam_version_id": o.exam_version_id,
                        "name": o.name,
                        "start": o.start,
                        "end": o.end,
                        "sitting_date": o.sitting_date,
                        "period": o.period,
                        "state": o.state,
                    }
                    for o in planning.offerings.values()
                ],
            ),
            (
                models.Participation.__table__,
                "association_id",
                [
                    {
                        "association_id": a.association_id,
                        "offering_id": a.offering_id,
                        "student_id": a.student_id,
                        "attempt": a.attempt,
                        "original_association_id": a.original_association_id,
                        "state": a.state,
                    }
                    for a in planning.associations.values()
                ],
            ),
        ]
        added = 0
        with self.engine.begin() as conn:
            stored = {}
            for table, key, rows in tables:
                cols = [table.c[c] for c in rows[0]] if rows else [table.c[key]]
                stored[table.name] = have = {r[0]: r for r in conn.execute(select(*cols))}
                for row in rows:
                    if (old := have.get(row[key])) is not None:
                        _unchanged(planning, table.name, key, row, old)
            for table, key, rows in tables:
                have = stored[table.name]
                new = [r for r in rows if r[key] not in have]
                for start in range(0, len(new), 5000):
                    conn.execute(insert(table), new[start : start + 5000])
                added += len(new)
        return added

    # -- reads ------------------------------------------------------------------------------
    def rows(
        self, model: type[KrsTable], order_by: Iterable[str] | None = None, **where: Any
    ) -> Iterator[dict[str, Any]]:
        """Stream rows of one table as dicts, in primary-key (or the given) order."""
        table = model.__table__
        cols = list(order_by) if order_by else [c.name for c in table.primary_key.columns]
        stmt = select(table).order_by(*(table.c[c] for c in cols))
        for key, value in where.items():
            stmt = stmt.where(table.c[key] == value)
        with self.engine.connect() as conn:
            for row in conn.execution_options(yield_per=2000).execute(stmt):
                yield dict(row._mapping)

    def result(self, association_id: str) -> dict[str, Any] | None:
        return next(self.rows(models.Result, association_id=association_id), None)

    def versions(self, association_id: str) -> list[dict[str, Any]]:
        """Every delivery for one association, oldest first (a scan: see ``models.ResultVersion``),
        with the fields it delivered read from its body (``delivered_fields``)."""
        return [
            row | delivered_fields(row["body_text"])
            for row in self.rows(models.ResultVersion, association_id=association_id)
        ]

    def log(self, association_id: str | None = None, *, bodies: bool = False) -> Iterator[dict[str, Any]]:
        """OKE-log rows in ``seq`` order; ``bodies=True`` puts message bodies back into ``detail``.

        The table keeps each body once (where it is used) and a pointer in the message entry; the
        reports never need the body, an export or a log replay does.
        """
        rows = (
            self.rows(models.OkeLogEntry)
            if association_id is None
            else self.rows(models.OkeLogEntry, association_id=association_id)
        )
        if bodies:
            from oke_core.store.bodies import with_bodies

            return with_bodies(self.engine, rows)
        return rows

    def export_log(self, out: IO[bytes] | str | Path) -> int:
        """Write the OKE-log as JSONL (sorted keys, ``detail`` as an object with the body); returns lines."""
        if isinstance(out, (str, Path)):
            with open(out, "wb") as fh:
                return self.export_log(fh)
        n = 0
        for row in self.log(bodies=True):
            if row["detail"] is not None:
                row["detail"] = orjson.loads(row["detail"])
            out.write(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n")
            n += 1
        return n

    def current_results(self, association_ids: Iterable[str], conn: Any = None) -> dict[str, dict[str, Any]]:
        """Per association, the ``result`` object of the version KRS currently holds, as delivered.

        For ``GET /associations/{id}``: associations without a registered result are left out.
        """
        if conn is None:
            with self.engine.connect() as own:
                return self.current_results(association_ids, own)
        ids = sorted(set(association_ids))
        res = models.Result.__table__
        ver = models.ResultVersion.__table__
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            stmt = (
                select(ver.c.association_id, ver.c.body_text)
                .join(res, res.c.current_seq == ver.c.seq)
                .where(res.c.association_id.in_(ids[start : start + 500]))
            )
            for association_id, body_text in conn.execute(stmt):
                try:
                    body = orjson.loads(body_text)
                except orjson.JSONDecodeError:
                    continue
                if isinstance(body, dict) and isinstance(body.get("result"), dict):
                    out[association_id] = body["result"]
        return out

    def current_result(self, association_id: str) -> dict[str, Any] | None:
        """The delivered ``result`` object of the association's current version (None: nothing yet)."""
        return self.current_results([association_id]).get(association_id)

    def export_quarantine(self, out: IO[bytes] | str | Path) -> int:
        if isinstance(out, (str, Path)):
            with open(out, "wb") as fh:
                return self.export_quarantine(fh)
        n = 0
        for row in self.rows(models.QuarantineItem):
            row["problems"] = orjson.loads(row["problems"])
            out.write(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n")
            n += 1
        return n

    def count(self, model: type[KrsTable], **where: Any) -> int:
        table = model.__table__
        stmt = select(func.count()).select_from(table)
        for key, value in where.items():
            stmt = stmt.where(table.c[key] == value)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def status_counts(self) -> dict[str, int]:
        table = models.Result.__table__
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.status, func.count()).group_by(table.c.status))
            return {status: int(n) for status, n in sorted(rows)}

    def meta(self, key: str) -> str | None:
        table = models.Meta.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(table.c.value).where(table.c.key == key)).scalar_one_or_none()

    def dump(self, exclude: Iterable[str] = ()) -> dict[str, list[dict[str, Any]]]:
        """Every KRS table in primary-key order (used to compare a replayed store with the original)."""
        skip = set(exclude)
        return {m.__tablename__: list(self.rows(m)) for m in TABLES if m.__tablename__ not in skip}


def _date(value: str | None) -> Any:
    from datetime import date

    return date.fromisoformat(value) if value else None
