"""Engine set-up: SQLite file by default (WAL, synchronous=NORMAL, foreign keys), PostgreSQL by URL."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from oke_core.store.writer import SQLITE_PRAGMAS, register_adapters

DEFAULT_SQLITE = "krs.sqlite"
#: What a store URL may look like, for error messages.
URL_HELP = "give a SQLite file path, sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
#: Seconds to wait for a PostgreSQL server before giving up (libpq waits for the OS otherwise).
PG_CONNECT_TIMEOUT = 10

# Batched writes bypass SQLAlchemy types: dates as ISO text, NULLs bound cheaply (see there).
register_adapters()


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
            for pragma in SQLITE_PRAGMAS:
                cur.execute(pragma)
            cur.close()

        return engine
    connect_args: dict[str, object] = {"options": f"-csearch_path={schema}"} if schema else {}
    if url.startswith("postgresql") and "connect_timeout" not in make_url(url).query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def redact_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite ``url``; None for other backends, in-memory and ``uri=true`` URLs."""
    parsed = make_url(url)
    database = parsed.database
    if (
        parsed.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or "uri" in parsed.query
    ):
        return None
    return Path(database)


def sqlite_file_problem(url: str, *, must_exist: bool = False) -> str | None:
    """Why the SQLite file of ``url`` cannot be a store (checked before connecting), or None.

    A missing file is fine (it is created) unless ``must_exist``; a missing folder, a folder, or
    a file that is not a SQLite database is not. In-memory and ``uri=true`` URLs are left to SQLite.
    """
    path = sqlite_file(url)
    if path is None:
        return None
    if must_exist and not path.exists():
        return f"no such store file {path} (a report reads a store, it does not make one)"
    if path.is_dir():
        return "a folder, not a SQLite database file"
    if not path.parent.is_dir():
        return f"folder {path.parent} does not exist (the store file is created, its folder is not)"
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    if head and head != b"SQLite format 3\x00":
        return 'not a SQLite database (a SQLite file starts with "SQLite format 3")'
    return None


def open_problem(exc: BaseException, url: str) -> str:
    """One line saying why a store could not be opened, without the URL's password."""
    if isinstance(exc, NoSuchModuleError):
        text = f"unknown database backend {make_url(url).drivername!r}: {URL_HELP}"
    elif isinstance(exc, ArgumentError):
        text = f"not a database URL ({str(exc).splitlines()[0]}): {URL_HELP}"
    elif isinstance(exc, ImportError):
        driver = make_url(url).drivername
        text = f"the database driver for {driver!r} is not installed ({exc}): {URL_HELP}"
    elif isinstance(exc, DBAPIError):
        detail = " ".join(line.strip() for line in str(exc.orig).splitlines() if line.strip())
        text = f"cannot open the store: {detail or type(exc.orig).__name__}"
    else:
        text = f"cannot open the store: {exc}"
    try:
        password = make_url(url).password
    except ArgumentError:
        password = None
    for secret in {str(password), unquote(str(password))} if password else ():
        if len(secret) >= 4:  # a driver rarely repeats it; a shorter one would garble the text
            text = text.replace(secret, "***")
    return text
