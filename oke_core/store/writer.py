"""The background writer: bulk ingest's SQLite writes, run by a second process.

On the embedded default a bulk ingest spends about as long writing (binding rows, SQLite's page
work, WAL checkpoints) as processing. A thread cannot take the writing over: the sqlite3 module
lets go of the GIL for each row's ``sqlite3_step`` only, so a writer thread and the processing
thread take turns row by row (measured: one row per GIL switch interval). A second process can:
it receives a batch's statements (built by the same code that writes them in place, see
``batch.Recorder``), runs them in one transaction on its own connection and answers, while the
Ingestor processes the next batch. At most one batch is in flight, so memory stays bounded and
an error is reported at the next batch.

This file is run as a script (``python -I writer.py FD DATABASE``) so the child imports only the
standard library: starting it costs about 30 ms instead of the package's 0.8 s. The parent side is
``BackgroundWriter``; ``Ingestor.receive_many`` starts one for large inputs on a SQLite file.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
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
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-65536",  # 64 MiB page cache: random uuid keys touch many pages
)

#: Statements of one transaction: (SQL, rows) pairs, run with ``executemany`` in order.
Statements = list[tuple[str, list[Any]]]


class WriteFailed(RuntimeError):
    """The writer process could not store a batch (the batch is not stored: it was rolled back)."""


class BackgroundWriter:
    """The parent's side: send a batch, learn at the next batch (or ``close``) whether it was stored."""

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
        self._in_flight = False
        self._sender: threading.Thread | None = None
        self._send_error: OSError | None = None

    def submit(self, statements: Statements) -> None:
        """Wait for the batch in flight, then send this one.

        Serialised here (the caller reuses its lists), sent by a thread: the socket write lets go
        of the GIL, so the next batch's processing goes on meanwhile.
        """
        self.wait()
        data = _serialise(statements)
        self._sender = threading.Thread(target=self._send, args=(data,), name="oke-writer-send", daemon=True)
        self._sender.start()
        self._in_flight = True

    def _send(self, data: bytes) -> None:
        try:
            self._chan.send_bytes(data)
        except OSError as exc:
            self._send_error = exc

    def wait(self) -> None:
        """Until the batch in flight is committed; raises ``WriteFailed`` if it was not."""
        if not self._in_flight:
            return
        self._in_flight = False
        if self._sender is not None:
            self._sender.join()
            self._sender = None
        if self._send_error is not None:
            raise self._failed(f"could not be sent a batch ({self._send_error})")
        try:
            problem = self._chan.recv()
        except (EOFError, OSError) as exc:
            raise self._failed("stopped before it answered") from exc
        if problem is not None:
            raise WriteFailed(f"the background writer could not store a batch: {problem}")

    def close(self) -> None:
        """Wait for the batch in flight and stop the process."""
        try:
            self.wait()
        finally:
            with contextlib.suppress(OSError):
                self._chan.send_bytes(_serialise(None))
            self._chan.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def _failed(self, what: str) -> WriteFailed:
        code = self._proc.poll()
        status = "" if code is None else f", exit status {code}"
        return WriteFailed(f"the background writer {what}{status}")


def _serialise(statements: Statements | None) -> bytes:
    """Pickle without its memo: rows share many strings (a stamp, an id), and remembering each
    costs more than writing it twice (measured: 3x faster than the default, 4x than marshal)."""
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
    sqlite3.register_adapter(date, date.isoformat)  # as engine.py: dates as ISO text
    chan = Connection(fd)
    db = sqlite3.connect(database, isolation_level=None, timeout=60)
    for pragma in SQLITE_PRAGMAS:
        db.execute(pragma)
    while True:
        try:
            statements = _deserialise(chan.recv_bytes())
        except EOFError:
            break
        if statements is None:
            break
        try:
            db.execute("BEGIN IMMEDIATE")
            for sql, rows in statements:
                db.executemany(sql, rows)
            db.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
            if db.in_transaction:
                db.execute("ROLLBACK")
            chan.send(f"{type(exc).__name__}: {exc}")
        else:
            chan.send(None)
    db.close()
    chan.close()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
