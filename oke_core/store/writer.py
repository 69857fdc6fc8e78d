"""The background writer: bulk ingest's SQLite writes, run by a second process.

On the embedded default a bulk ingest spent about 20 us of every message writing (binding rows,
SQLite's page work, WAL checkpoints), on the same core as the processing. A thread cannot take
the writing over: the sqlite3 module lets go of the GIL for each row's ``sqlite3_step`` only, so
a writer thread and the processing thread take turns row by row (measured: one row per GIL
switch interval). A second process can:
it receives a batch's statements (built by the same code that writes them in place, see
``batch.Recorder``), runs them in one transaction on its own connection and answers, while the
Ingestor processes the next batches. At most ``DEPTH`` batches are unanswered, so memory stays
bounded (about 5 MB a batch) and an error is reported a few batches later, at the latest when
the bulk scope ends; nothing after a failed batch is stored.

This file is run as a script (``python -I writer.py FD DATABASE``) so the child imports only the
standard library: starting it costs about 30 ms instead of the package's 0.8 s. The parent side is
``BackgroundWriter``; ``Ingestor.bulk`` starts one for large inputs on a SQLite file.
"""

from __future__ import annotations

import contextlib
import io
import operator
import os
import pickle
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import date
from multiprocessing.connection import Connection
from typing import Any

#: Pragmas of every SQLite connection of a store (``engine.make_engine`` and the writer process).
SQLITE_PRAGMAS = (
    # 16 KiB pages (for a new store; an existing one keeps its size): a batch of appends fills a
    # quarter of the pages, and its commit writes that many fewer WAL frames
    "PRAGMA page_size=16384",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    # a WAL checkpoint (the one fsync of synchronous=NORMAL) once 256 MiB of 16 KiB pages are
    # waiting, not every 4 MiB: at about 1 KiB per message that is every 240,000 messages, not
    # 4,000 (the WAL file is deleted when the last connection closes)
    "PRAGMA wal_autocheckpoint=16384",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-65536",  # 64 MiB page cache: random uuid keys touch many pages
)

_first = operator.itemgetter(0)


#: The adapter for ``None``: a C callable (``{}.get(None)`` is None), so that binding a NULL does
#: not start a Python frame (a ``def`` returning None cost about 0.05 us more per NULL, best of 6).
_null: Any = {}.get


def register_adapters() -> None:
    """How ``sqlite3`` binds the values batched writes pass it (every store connection, both processes).

    Dates as ISO text, what SQLAlchemy's SQLite Date type stores. ``None`` through an adapter that
    returns it: without one, ``sqlite3`` looks for an adapter, then for ``__adapt__`` and
    ``__conform__``, for every NULL it binds, and a NULL cost 0.2-0.4 us more than a string
    (OKE-log rows carry two or three; about 0.9 us per message in all). Still stored as NULL.
    ``bool`` as ``int``, stored as before (0 or 1): with no adapter of its own a bool takes the
    same search, which on a type object raises and clears an AttributeError (about 2,500
    instructions; a result row carries five bools).
    """
    sqlite3.register_adapter(date, date.isoformat)
    sqlite3.register_adapter(type(None), _null)
    sqlite3.register_adapter(bool, int)


#: Statements of one transaction, run with ``executemany`` in order: (SQL, rows, sort the rows first).
Statements = list[tuple[str, list[Any], bool]]


class WriteFailed(RuntimeError):
    """The writer process could not store a batch (the batch is not stored: it was rolled back)."""


class BackgroundWriter:
    """The parent's side: send batches, learn later (at most ``DEPTH`` batches on) whether each was stored.

    Batches are numbered from 1 in the order sent; the process stores them in that order, each in
    its own transaction, and stops storing at the first one that fails (so what is stored is
    always a prefix of what was sent).
    """

    #: Batches sent and not yet answered, at most. A register group (``INBOX_BATCH`` rows with
    #: random keys) takes the process several batches' time; the depth lets it catch up meanwhile.
    DEPTH = 8

    def __init__(self, database: str) -> None:
        import socket

        parent, child = socket.socketpair()
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and file
            [sys.executable, "-I", os.path.abspath(__file__), str(child.fileno()), database],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        child.close()
        self._chan = Connection(parent.detach())
        self.sent = 0  # batches handed to the sender
        self.stored = 0  # batches the process answered as committed
        self._problem: str | None = None
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._send_error: OSError | None = None
        # the socket writes let go of the GIL: sending runs beside the next batch's processing
        self._sender = threading.Thread(target=self._send_all, name="oke-writer-send", daemon=True)
        self._sender.start()

    def submit(self, statements: Statements) -> int:
        """Send a batch (serialised now: the caller reuses its lists); returns its number.

        Waits first while ``DEPTH`` batches are unanswered; raises ``WriteFailed`` for an
        earlier batch that was not stored.
        """
        self._check()
        while self.sent - self.stored >= self.DEPTH:
            self._answer()
        self._dispatch(_serialise(statements))
        self.sent += 1
        return self.sent

    def wait(self, upto: int | None = None) -> None:
        """Until batch ``upto`` (default: every batch sent) is committed; ``WriteFailed`` if not."""
        self._check()
        target = self.sent if upto is None else upto
        while self.stored < target:
            self._answer()

    def close(self) -> None:
        """Wait for every batch sent and stop the process (it is stopped also when that raises)."""
        try:
            if self._problem is None:
                self.wait()
        finally:
            self._dispatch(None)
            self._sender.join(timeout=60)
            self._chan.close()
            try:
                self._proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def _dispatch(self, data: bytes | None) -> None:
        self._outbox.put(data)

    def _send_all(self) -> None:
        while (data := self._outbox.get()) is not None:
            try:
                self._chan.send_bytes(data)
            except OSError as exc:
                self._send_error = exc
                return
        with contextlib.suppress(OSError):
            self._chan.send_bytes(_serialise(None))

    def _answer(self) -> None:
        """Read the next answer (blocking)."""
        try:
            problem = self._chan.recv()
        except (EOFError, OSError) as exc:
            cause = f" (sending failed: {self._send_error})" if self._send_error else ""
            raise self._failed(f"stopped before it answered{cause}") from exc
        if problem is not None:
            self._problem = problem
            self._check()
        self.stored += 1

    def _check(self) -> None:
        if self._problem is not None:
            raise WriteFailed(
                f"the background writer could not store batch {self.stored + 1}: {self._problem}"
            )

    def _failed(self, what: str) -> WriteFailed:
        code = self._proc.poll()
        status = "" if code is None else f", exit status {code}"
        return WriteFailed(f"the background writer {what}{status}")


def _serialise(statements: Statements | None) -> bytes:
    """Pickle without its memo: rows share many strings (a stamp, an id), and remembering each
    costs more than writing it twice (measured: 1.5 times faster than the default and marshal)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: fine for rows, which never refer to themselves
    pickler.dump(statements)
    return out.getvalue()


def _deserialise(data: bytes) -> Statements | None:
    return pickle.loads(data)  # type: ignore[no-any-return]  # noqa: S301 - from our own parent


def serve(fd: int, database: str) -> None:
    """The child: one transaction per received batch, answered with None or the problem."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which then closes us
    register_adapters()  # as engine.py
    chan = Connection(fd)
    db = sqlite3.connect(database, isolation_level=None, timeout=60)
    for pragma in SQLITE_PRAGMAS:
        db.execute(pragma)
    failed: str | None = None
    while True:
        try:
            statements = _deserialise(chan.recv_bytes())
        except EOFError:
            break
        if statements is None:
            break
        if failed is not None:  # nothing after a failed batch is stored: a prefix, never a gap
            chan.send(failed)
            continue
        try:
            db.execute("BEGIN IMMEDIATE")
            for sql, rows, key_order in statements:
                db.executemany(sql, sorted(rows, key=_first) if key_order else rows)
            db.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            if db.in_transaction:
                db.execute("ROLLBACK")
            failed = f"{type(exc).__name__}: {exc}"
            chan.send(failed)
        else:
            chan.send(None)
    db.close()
    chan.close()


if __name__ == "__main__":
    try:
        serve(int(sys.argv[1]), sys.argv[2])
    except Exception as exc:  # noqa: BLE001 - one line for the user; the parent reports the stop
        print(f"oke background writer: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
