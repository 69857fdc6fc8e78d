"""Assemble and run the receiver: core objects, OAuth registry, app, uvicorn (one process, one writer)."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from oke.http.answers import ServerConfig
from oke.http.app import OkeApp
from oke.http.clients import ClientRegistry
from oke.http.oauth import TokenIssuer

NO_PLANNING_INSTITUTION = {
    "institution_id": "no-planning",
    "name": "(geen planning geladen)",
    "policy": "beoordelen",
    "closure_days": [],
}


class SetupError(ValueError):
    """A start-up problem the user can fix (message is the whole story; no traceback)."""


@dataclass
class ServeOptions:
    db: str | None = None
    planning: Path | None = None
    accept_unknown: bool = False
    clients: Path | None = None
    policy: str | None = None
    token_ttl: float = 3600.0
    schema: str | None = None  # PostgreSQL schema for the tables (tests keep runs apart this way)
    config: ServerConfig = field(default_factory=ServerConfig)


def build_core(options: ServeOptions) -> Any:
    """Store, planning, policy, contract and Ingestor: the same objects `oke ingest` uses."""
    from oke.http.backend import CoreBackend
    from oke_core.contract import Contract
    from oke_core.ingest import Ingestor
    from oke_core.planning import Planning, load_planning
    from oke_core.policy import load_policy
    from oke_core.store import Store

    if options.planning is not None:
        planning = load_planning(options.planning)
    else:
        # --accept-unknown without a planning: every association is unknown and goes to quarantine,
        # where `reprocess_quarantine` can release it once a planning arrives.
        planning = Planning(institution=dict(NO_PLANNING_INSTITUTION), digest="no-planning")
    policy = load_policy(options.policy or planning.policy_source() or "beoordelen")
    contract = Contract.load()
    store = Store.open(options.db, schema=options.schema)
    ingestor = Ingestor(store, planning, policy, contract)  # loads the planning into the store (idempotent)
    ingestor.retry_after_planning()  # what --accept-unknown kept in quarantine, now that it is planned
    return CoreBackend(store, ingestor, contract)


def build_app(options: ServeOptions) -> tuple[Any, OkeApp]:
    """The Starlette app plus its holder (tests reach the store and writer through it)."""
    from oke.http.backend import CoreReader
    from oke.http.ingest_process import IngestProcess
    from oke.http.openapi import cached_openapi
    from oke.http.writer import BatchProcessor
    from oke_core.store import Store

    if options.planning is None and not options.accept_unknown:
        raise SetupError(
            "give --planning DIR (the zittingen and deelnames this receiver knows) or --accept-unknown "
            "(accept every association and keep unknown ones in quarantine)"
        )
    registry = (
        ClientRegistry.load(options.clients) if options.clients else ClientRegistry.development_default()
    )
    config = options.config
    if options.accept_unknown != config.accept_unknown:
        config = replace(config, accept_unknown=options.accept_unknown)
        options = replace(options, config=config)
    issuer = TokenIssuer(registry, ttl=options.token_ttl)
    if config.writer == "process":
        ingest = IngestProcess(options)
        ingest.start()
        store = Store.open(options.db, schema=options.schema, create=False)
        reader = CoreReader(store)

        def close() -> None:
            ingest.stop()
            store.close()

        holder = OkeApp(reader, ingest.process, issuer, config, cached_openapi(), on_close=close)
    else:
        backend = build_core(options)
        holder = OkeApp(
            backend,
            BatchProcessor(backend, config).process,
            issuer,
            config,
            cached_openapi(),
            on_close=backend.close,
            backend=backend,
        )
    holder.store = reader.store if config.writer == "process" else backend.store
    return holder.build(), holder


_QUERY_TOKEN = re.compile(r"([?&]access_token=)[^&]*", re.IGNORECASE)


class _HideQueryTokens(logging.Filter):
    """Tokens are never printed: not even one a client put in the query string (RFC 6750 2.3)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 2 and isinstance(args[2], str):
            record.args = (*args[:2], _QUERY_TOKEN.sub(r"\1(hidden)", args[2]), *args[3:])
        return True


def listen_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket for ``host:port`` (``port`` 0: one the system picks).

    Bound here rather than by uvicorn, so that a port in use is a clear error before the receiver
    says where it listens, and ``--port 0`` can say which port it got.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=2048)
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app: Any, host: str, port: int, *, access_log: bool = False) -> Any:
    import uvicorn

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        workers=1,  # state (tokens, the writer) lives in this one process
        loop="auto",  # uvloop when installed
        http="auto",  # httptools when installed
        access_log=access_log,
        log_level="warning",
        lifespan="on",
        server_header=False,
        date_header=True,  # RFC 9110 6.6.1: a server with a clock sends Date
    )
    if access_log:
        # log_level "warning" keeps uvicorn's start-up chatter out, but it also silenced the access
        # lines (logged at INFO): lift only the access logger.
        access = logging.getLogger("uvicorn.access")
        access.setLevel(logging.INFO)
        if not any(isinstance(f, _HideQueryTokens) for f in access.filters):
            access.addFilter(_HideQueryTokens())
    return config


class ServerThread:
    """Run the app on a free loopback port in a background thread (tests, benchmarks, `oke send` demos)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        self.server = uvicorn.Server(uvicorn_config(app, host, self.port))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
