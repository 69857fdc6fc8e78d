"""Fixtures for the core tests: a tiny planning folder, and stores on SQLite and PostgreSQL.

The ``store`` fixture runs every test against SQLite and, when OKE_TEST_PG_URL is set, against
PostgreSQL too (each test in its own schema, dropped afterwards, so parallel runs never collide).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).parent))

from core_builders import World  # noqa: E402

from oke_core.contract import Contract  # noqa: E402
from oke_core.ingest import Ingestor  # noqa: E402
from oke_core.planning import Planning, load_planning  # noqa: E402
from oke_core.policy import load_policy  # noqa: E402
from oke_core.store import Store  # noqa: E402

PG_URL = os.environ.get("OKE_TEST_PG_URL")
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason="OKE_TEST_PG_URL not set")),
]


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract.load()


@pytest.fixture
def planning_dir(tmp_path: Path) -> Path:
    return World().write(tmp_path / "planning")


@pytest.fixture
def planning(planning_dir: Path) -> Planning:
    return load_planning(planning_dir)


@pytest.fixture
def store_factory(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[str], Store]]:
    """Opens fresh, empty stores on one backend; closes (and drops the PG schemas) afterwards."""
    backend = getattr(request, "param", "sqlite")
    opened: list[Store] = []

    def make(name: str = "krs") -> Store:
        if backend == "sqlite":
            store = Store.open(f"sqlite:///{tmp_path / (name + '.sqlite')}")
        else:
            store = Store.open(PG_URL, schema=f"t_{uuid.uuid4().hex[:16]}")
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
        if store.schema:
            engine = create_engine(PG_URL)  # type: ignore[arg-type]
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{store.schema}" CASCADE'))
            engine.dispose()


@pytest.fixture
def store(store_factory: Callable[[str], Store]) -> Store:
    return store_factory("krs")


@pytest.fixture
def make_ingestor(store: Store, planning: Planning, contract: Contract) -> Callable[..., Ingestor]:
    def make(policy: str = "eduarte", **kwargs: object) -> Ingestor:
        return Ingestor(store, planning, load_policy(policy), contract, **kwargs)  # type: ignore[arg-type]

    return make


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses a store runs on each backend."""
    if "store_factory" in metafunc.fixturenames:
        metafunc.parametrize("store_factory", BACKENDS, indirect=True)
