"""Shared simulator runs: each scenario is simulated once per test session (real files on disk)."""

from __future__ import annotations

import pytest
from sim_support import SimOut

from oke_sim.simulation import simulate


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> SimOut:
    return SimOut(simulate("tiny", tmp_path_factory.mktemp("tiny")))


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> SimOut:
    return SimOut(simulate("variant1-baseline", tmp_path_factory.mktemp("baseline")))


@pytest.fixture(scope="session")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> SimOut:
    return SimOut(simulate("vendor-faults", tmp_path_factory.mktemp("faults")))


@pytest.fixture(scope="session")
def supplier(tmp_path_factory: pytest.TempPathFactory) -> SimOut:
    return SimOut(simulate("variant2-supplier", tmp_path_factory.mktemp("supplier")))
