"""A NUL in the path of a message whose id is missing or not a string (found by mypy).

``_handle`` re-read the message id after escaping the path, which undid the ``no-id-<digest>``
fallback: the register row got a NULL id (IntegrityError at the flush, the whole batch lost) or
the raw non-text id (7 instead of ``no-id-...``).
"""

from __future__ import annotations

from typing import Any

import pytest
from core_builders import O_V1, assoc_id, env, scored_body

from oke_core.ingest import Ingestor
from oke_core.policy import load_policy
from oke_core.store import models

A = assoc_id(0, O_V1)


@pytest.mark.parametrize("message_id", [None, 7, ""], ids=["missing", "number", "empty"])
def test_a_nul_in_the_path_of_a_message_without_a_usable_id_is_quarantined(
    store_factory, planning, contract, message_id: Any
):
    store = store_factory("nul-path")
    sent = env("x", "2026-09-15T11:00:00Z", A, scored_body(A, raw=31))
    sent["path"] = f"/associations/{A}\x00"
    if message_id is None:
        del sent["message_id"]
    else:
        sent["message_id"] = message_id
    try:
        ing = Ingestor(store, planning, load_policy("eduarte"), contract)
        counts = ing.receive_many([sent])
        ing.flush()
        assert (counts.received, counts.quarantined_total) == (1, 1)
        [item] = store.rows(models.QuarantineItem)
        [entry] = store.rows(models.InboxEntry)
        assert item["message_id"].startswith("no-id-")
        assert entry["message_id"] == item["message_id"]
        again = ing.receive_many([sent])  # the same message again: recognised by its body
        assert again.duplicates == 1
    finally:
        store.close()
