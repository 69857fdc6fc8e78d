"""Bulk ingest runs with the garbage collector paused (issue 3, speed); that is safe only because
ingest makes no reference cycles, which these tests check for every kind of message, on both
backends and through the background writer, and the host process gets its collector back."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from core_builders import O_V1, message_plans, message_stream
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oke_core.ingest import Ingestor
from oke_core.policy import load_policy
from oke_core.store import Store


@pytest.fixture
def saving_garbage() -> Iterator[None]:
    """The test may keep what the collector finds in ``gc.garbage`` (to name it); undone after."""
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.collect()


def _describe(garbage: list[Any]) -> str:
    kinds: dict[str, int] = {}
    for obj in garbage:
        kinds[type(obj).__qualname__] = kinds.get(type(obj).__qualname__, 0) + 1
    common = sorted(kinds.items(), key=lambda kv: -kv[1])[:10]
    functions = sorted({f"{o.__module__}.{o.__qualname__}" for o in garbage if callable(o)})[:12]
    return ", ".join(f"{n} x {k}" for k, n in common) + f"; functions: {functions}"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=message_plans(max_size=60), background_after=st.sampled_from([None, 0]))
def test_bulk_ingest_leaves_nothing_for_the_collector(
    store_factory: Callable[[str], Store],
    planning: Any,
    contract: Any,
    saving_garbage: None,
    plan: list[tuple[str, int, str, int, int]],
    background_after: int | None,
) -> None:
    """Every message kind (applied, corrected, duplicate, broken, invalid, unknown, mismatched,
    session report), with and without the writer process: all of it freed by reference counting."""
    msgs = message_stream(plan)
    store = store_factory(f"gc{uuid.uuid4().hex[:8]}")
    ing = Ingestor(
        store,
        planning,
        load_policy("eduarte"),
        contract,
        batch_size=3,
        inbox_batch=4,
        background_after=background_after,
    )
    gc.set_debug(0)
    gc.garbage.clear()
    gc.collect()  # hypothesis' and the fixtures' cycles (and an earlier example's): freed, not kept
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        counts = ing.receive_many(msgs)
        found = gc.collect()
    finally:
        gc.set_debug(0)
        store.close()  # at once: 12 examples' connection pools would outlive them otherwise
    assert counts.received == len(msgs)
    assert found == 0, f"bulk ingest left {found} objects in reference cycles: {_describe(gc.garbage)}"


def test_the_collector_is_back_after_a_bulk_ingest(make_ingestor: Callable[..., Ingestor]) -> None:
    msgs = message_stream([("scored", 0, O_V1, 40, 0), ("duplicate", 0, O_V1, 40, 0)])
    ing = make_ingestor()
    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    assert before[0]
    counts = ing.receive_many(msgs)
    assert (counts.applied, counts.duplicates) == (1, 1)
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before


def test_the_collector_is_back_when_reading_the_input_fails(make_ingestor: Callable[..., Ingestor]) -> None:
    def broken() -> Iterator[dict[str, Any]]:
        assert not gc.isenabled()  # paused while the ingest reads
        raise OSError("disk gone")
        yield {}

    ing = make_ingestor()
    with pytest.raises(OSError, match="disk gone"):
        ing.receive_many(broken())
    assert gc.isenabled()


def test_objects_the_caller_froze_stay_frozen(make_ingestor: Callable[..., Ingestor]) -> None:
    keep = [[] for _ in range(10)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        make_ingestor().receive_many([])
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
    assert keep
