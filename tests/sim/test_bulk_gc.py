"""The simulator tunes the garbage collector for its run only (issue 4, speed): the host process
(CLI, Dagster, tests) gets its settings back, and objects it had frozen stay frozen."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from oke_sim.simulation import BULK_GC_THRESHOLD, bulk_gc, simulate


def test_simulate_restores_the_collector_settings(tmp_path: Path) -> None:
    before = gc.get_threshold()
    assert before != BULK_GC_THRESHOLD
    frozen_before = gc.get_freeze_count()
    simulate("tiny", tmp_path / "tiny")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before
    assert gc.isenabled()


def test_settings_are_restored_when_the_run_fails() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk_gc():
        assert gc.get_threshold() == BULK_GC_THRESHOLD
        raise RuntimeError("boom")
    assert gc.get_threshold() == before


def test_objects_the_caller_froze_stay_frozen() -> None:
    keep = [[] for _ in range(10)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with bulk_gc():
            pass
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
    assert keep
