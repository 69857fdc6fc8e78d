"""Whatever arrives, the receiver answers without a server error and every message is accounted for."""

from __future__ import annotations

import json

from http_support import ASSOCIATIONS, UNKNOWN, scored
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from oke_core import requestlog
from oke_core.store import models

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def mutated_result() -> st.SearchStrategy[dict]:
    """A valid scored body with one result field replaced by an arbitrary JSON value."""
    keys = st.sampled_from(["state", "pass", "score", "resultDate", "weight", "consumers", "comment"])
    return st.tuples(keys, json_values).map(lambda kv: _with(kv[0], kv[1]))


def _with(key: str, value: object) -> dict:
    body = scored()
    body["result"][key] = value
    return body


bodies = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    mutated_result().map(lambda b: json.dumps(b).encode()),
)


def test_any_body_gets_a_4xx_or_200_and_counts_add_up(server):
    token = server.token()
    sent = []

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=bodies, target=st.sampled_from([ASSOCIATIONS[0], ASSOCIATIONS[5], UNKNOWN]))
    def one(body: bytes, target: str) -> None:
        resp = server.patch(f"/associations/{target}", body, token=token)
        assert resp.status_code in (200, 400, 404), resp.text
        if resp.status_code != 200:
            problem = resp.json()
            assert problem["status"] == str(resp.status_code)
            assert problem["errors"], problem  # every refusal names at least one pointer + rule
        sent.append(resp.status_code)

    one()
    server.thread.stop()
    store = server.store
    with store.engine.connect() as conn:
        table = requestlog.TABLE
        rows = conn.execute(
            select(table.c.outcome, table.c.reason, func.count())
            .where(table.c.method == "PATCH")
            .group_by(table.c.outcome, table.c.reason)
        ).all()
    outcomes: dict[str, int] = {}
    for outcome, _reason, n in rows:
        outcomes[outcome] = outcomes.get(outcome, 0) + n
    assert sum(outcomes.values()) == len(sent)
    # nothing lost: every distinct message is in the inbox, and applied + quarantined rows match it.
    # A body equal to the current version under a new message id is its own message (a duplicate by
    # content, "same-content"); a repeated id ("same-message-id") is not.
    same_content = sum(n for outcome, reason, n in rows if (outcome, reason) == ("duplicate", "same-content"))
    distinct = outcomes.get("applied", 0) + outcomes.get("quarantined", 0) + same_content
    assert store.count(models.InboxEntry) == distinct
    assert store.count(models.QuarantineItem) == outcomes.get("quarantined", 0)
