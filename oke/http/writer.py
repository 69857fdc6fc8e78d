"""Group commit: one thread owns every database write of the server.

Many requests arrive at once; SQLite allows one writer. Instead of a lock per request, handlers
queue their envelope and await a future; the writer thread takes everything queued (up to
`max_batch`) and hands the whole batch to a batch function: the core's ingest path for each
envelope, then one commit for the core's rows and the request-log rows together. Then it answers all the
futures with a single wake-up of the event loop. The loop never blocks on the database, and
throughput grows with concurrency instead of collapsing.

The batch function runs either here (`BatchProcessor`, writer="thread") or in a separate ingest
process (`oke.http.ingest_process`, writer="process") so that ingest has a CPU core of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oke.http.answers import Answer, ServerConfig, answer_for

log = logging.getLogger("oke.http.writer")

# (envelope or None for a log-only row, received_at, log_row, kind, object_id)
Item = tuple[dict | None, Any, dict, str, str]
# (answer or None, the filled log row, error text or None)
Result = tuple[Answer | None, dict, str | None]


@dataclass
class Job:
    envelope: dict | None
    received_at: Any
    log_row: dict
    kind: str = ""
    object_id: str = ""
    future: asyncio.Future | None = None
    loop: asyncio.AbstractEventLoop | None = None

    def item(self) -> Item:
        return (self.envelope, self.received_at, self.log_row, self.kind, self.object_id)


class Overloaded(Exception):
    """The queue is full: answer 503 with Retry-After so the sender backs off."""


class IngestFailed(Exception):
    """The core raised on this message; it is logged with status 500 and the sender retries."""


class BatchProcessor:
    """Ingest one batch through the core and answer each message; used in-thread or in the ingest process."""

    def __init__(self, backend: Any, config: ServerConfig) -> None:
        self.backend = backend
        self.config = config

    def process(self, items: list[Item]) -> list[Result]:
        backend = self.backend
        envelopes = [it[0] for it in items if it[0] is not None]
        prepare = getattr(backend, "prepare", None)
        if prepare is not None and envelopes:
            try:
                prepare(envelopes)
            except Exception:
                log.exception("preparing the batch failed; continuing without")
        outcomes: list[tuple[Any, str | None]] = []
        for envelope, received_at, _row, _kind, _oid in items:
            if envelope is None:
                outcomes.append((None, None))
                continue
            try:
                outcomes.append((backend.receive(envelope, received_at), None))
            except Exception as exc:  # a core bug must not kill the writer or lose the request
                log.exception("ingest failed for message %s", envelope.get("message_id"))
                outcomes.append((None, f"{exc.__class__.__name__}: {exc}"))
        results: list[Result] = []
        for (envelope, _at, row, kind, object_id), (outcome, err) in zip(items, outcomes, strict=True):
            answer = None
            if envelope is not None and err is None:
                try:
                    answer = answer_for(
                        outcome, backend, self.config, kind, object_id, envelope["message_id"], row
                    )
                except Exception as exc:
                    log.exception("answering failed")
                    err = f"{exc.__class__.__name__}: {exc}"
            if err is not None:
                answer = None
                row.update(status=500, outcome="error", reason="internal-error")
            results.append((answer, row, err))
        rows = [row for _a, row, _e in results]
        try:
            backend.flush(rows)  # the core's rows and the request log: one transaction
        except Exception as exc:
            log.exception("flush failed")
            flush_error = f"{exc.__class__.__name__}: {exc}"
            failed: list[Result] = []
            for (answer, row, err), (envelope, *_rest) in zip(results, items, strict=True):
                if envelope is not None:
                    row.update(status=500, outcome="error", reason="internal-error")
                    answer, err = None, err or flush_error
                failed.append((answer, row, err))
            results = failed
            try:
                backend.write_log(rows)
            except Exception:
                log.exception("request log write failed")
        return results


class GroupCommitWriter:
    def __init__(
        self,
        process_batch: Callable[[list[Item]], list[Result]],
        *,
        max_batch: int = 512,
        max_wait: float = 0.002,
        max_queue: int = 20_000,
    ) -> None:
        self._process_batch = process_batch
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: queue.Queue[Job | None] = queue.Queue(max_queue)
        self._thread = threading.Thread(target=self._run, name="oke-writer", daemon=True)
        self.batches = 0
        self.jobs = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Finish what is queued, then stop: nothing accepted is dropped on shutdown."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def submit(self, job: Job) -> None:
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise Overloaded() from None

    async def run(self, job: Job) -> Any:
        job.loop = asyncio.get_running_loop()
        job.future = job.loop.create_future()
        self.submit(job)
        return await job.future

    def _take_batch(self) -> tuple[list[Job], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        deadline = time.monotonic() + self.max_wait
        stop = False
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is None:
                stop = True
                break
            batch.append(item)
        return batch, stop

    def _run(self) -> None:
        while True:
            batch, stop = self._take_batch()
            if batch:
                self._process(batch)
            if stop:
                return

    def _process(self, batch: list[Job]) -> None:
        try:
            results = self._process_batch([job.item() for job in batch])
        except Exception as exc:  # the ingest process died: fail this batch, keep serving
            log.exception("batch failed")
            results = [(None, job.log_row, f"{exc.__class__.__name__}: {exc}") for job in batch]
        self.batches += 1
        self.jobs += len(batch)
        # One wake-up of the event loop per batch instead of one per request.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future, Any, str | None]]] = {}
        for job, (answer, _row, err) in zip(batch, results, strict=True):
            if job.future is not None and job.loop is not None:
                by_loop.setdefault(job.loop, []).append((job.future, answer, err))
        for loop, items in by_loop.items():
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
                loop.call_soon_threadsafe(_resolve_all, items)


def _resolve_all(items: list[tuple[asyncio.Future, Any, str | None]]) -> None:
    for future, answer, err in items:
        if future.done():  # the client went away and the request was cancelled
            continue
        if err is not None:
            future.set_exception(IngestFailed(err))
        else:
            future.set_result(answer)
