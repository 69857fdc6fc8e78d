"""Ingest in a process of its own (writer="process"): the event loop and the Ingestor no longer share a GIL.

The child builds the same core objects as the in-thread mode (`build_core`) and runs the same
`BatchProcessor`; the parent's writer thread sends it whole batches over a pipe and gets the
answers and log rows back. Start-up problems (a bad planning file, a store that cannot be opened)
come back as text and stop `oke serve` with that message.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
from multiprocessing.connection import Connection
from typing import Any

from oke.http.writer import Item, Result

log = logging.getLogger("oke.http.ingest")


def _child_main(conn: Connection, options: Any) -> None:
    # Ctrl-C reaches the whole process group; the parent drains the queue and then tells us to
    # stop, so a batch in flight is never cut off.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from oke.http.server import build_core
    from oke.http.writer import BatchProcessor

    try:
        backend = build_core(options)
    except Exception as exc:  # reported to the parent, which shows it and stops
        conn.send(("error", str(exc)))
        conn.close()
        return
    processor = BatchProcessor(backend, options.config)
    conn.send(("ready", None))
    try:
        while True:
            try:
                items = conn.recv()
            except EOFError:
                break
            if items is None:
                break
            conn.send(processor.process(items))
    finally:
        backend.close()
        conn.close()


class IngestProcess:
    def __init__(self, options: Any, start_timeout: float = 120.0) -> None:
        self.options = options
        self.start_timeout = start_timeout
        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_child_main, args=(child, options), name="oke-ingest", daemon=True)
        self._child_end = child

    def start(self) -> None:
        from oke.http.server import SetupError

        self._proc.start()
        self._child_end.close()
        if not self._conn.poll(self.start_timeout):
            self._proc.kill()
            raise SetupError("the ingest process did not start in time")
        try:
            kind, detail = self._conn.recv()
        except EOFError:
            raise SetupError("the ingest process stopped during start-up") from None
        if kind != "ready":
            self._proc.join(5)
            raise SetupError(detail)

    def process(self, items: list[Item]) -> list[Result]:
        """Called only from the writer thread: one batch out, its results back."""
        self._conn.send(items)
        return self._conn.recv()

    def stop(self, timeout: float = 60.0) -> None:
        if self._proc.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                self._conn.send(None)
            self._proc.join(timeout)
            if self._proc.is_alive():
                self._proc.kill()
        self._conn.close()
