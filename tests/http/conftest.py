"""Fixtures for the HTTP tests: `oke serve` on a free loopback port, stopped at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from http_support import Running, write_planning

from oke.http.app import ServerConfig
from oke.http.server import ServeOptions, ServerThread, build_app


@pytest.fixture
def planning_dir(tmp_path: Path) -> Path:
    return write_planning(tmp_path / "planning")


@pytest.fixture
def serve(tmp_path: Path, planning_dir: Path) -> Iterator[Callable[..., Running]]:
    """Factory: start a server with the given options; every server is stopped at the end."""
    started: list[Running] = []

    def start(
        *, planning: bool = True, db: str | None = None, config: ServerConfig | None = None, **kw
    ) -> Running:
        db_url = db or f"sqlite:///{tmp_path / f'krs{len(started)}.sqlite'}"
        opts = ServeOptions(
            db=db_url, planning=planning_dir if planning else None, config=config or ServerConfig(), **kw
        )
        app, holder = build_app(opts)
        running = Running(ServerThread(app).start(), holder, db_url)
        started.append(running)
        return running

    yield start
    for running in started:
        running.http.close()
        running.thread.stop()


@pytest.fixture
def server(serve) -> Running:
    return serve()
