"""Register lookups on a thread, beside the batch flush of a bulk ingest with a writer process.

Each batch starts with looking up its message ids in the idempotency register (thousands of
index probes) and with handing the previous batch to the writer process (pickling). Neither
needs the other, so the lookup runs on a thread meanwhile. It is one SQL statement that answers
with a single row (the found rows as one JSON array): ``sqlite3`` lets go of the GIL for the
whole statement, so the thread does not take turns with the pickling (see ``writer.py`` for why
that matters). Used only while a ``writer.BackgroundWriter`` runs: the Ingestor's rule for when
its in-memory register rows may be forgotten takes the lookup's moment into account
(``Ingestor.flush``).
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import orjson

from oke_core.store.writer import SQLITE_PRAGMAS

_QUERY = (
    "SELECT json_group_array(json_array(message_id, digest, outcome, reason)) FROM inbox "
    "WHERE message_id IN (SELECT value FROM json_each(?))"
)


class RegisterLookup:
    """One read connection of its own; one lookup at a time (``start``, then ``result``)."""

    def __init__(self, database: str) -> None:
        self._db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            self._db.execute(pragma)
        self._db.execute("PRAGMA cache_size=-8192")  # 8 MiB: it only probes, off the main thread
        self._thread: threading.Thread | None = None
        self._found: list[list[Any]] = []
        self._error: BaseException | None = None
        self.wanted: list[str] = []

    def start(self, wanted: list[str]) -> None:
        """Look these ids up (on a thread); ``result()`` waits for the answer."""
        self.wanted = wanted
        self._found, self._error = [], None
        self._thread = threading.Thread(target=self._run, args=(orjson.dumps(wanted),), daemon=True)
        self._thread.start()

    def _run(self, ids: bytes) -> None:
        try:
            (text,) = self._db.execute(_QUERY, (ids.decode(),)).fetchone()
            self._found = orjson.loads(text)
        except BaseException as exc:  # noqa: BLE001 - re-raised by result() on the Ingestor's thread
            self._error = exc

    def result(self) -> list[list[Any]]:
        """[message_id, digest, outcome, reason] of each wanted id that is in the register."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error
        return self._found

    def close(self) -> None:
        if self._thread is not None:
            self._thread.join()
        self._db.close()
