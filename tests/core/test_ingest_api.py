"""The Ingestor's batch API for front doors (HTTP): prefetch, flush(extra), duplicate outcomes, reads."""

from __future__ import annotations

import orjson
import pytest
from core_builders import O_V1, assoc_id, attendance_body, env, scored_body, session_report_env, text_env
from sqlalchemy import insert

from oke_core.ingest import Ingestor
from oke_core.policy import load_policy
from oke_core.store import Store, models

A = assoc_id(0, O_V1)
B = assoc_id(1, O_V1)


def test_prefetched_ids_are_known_and_others_are_looked_up(make_ingestor, store, planning, contract) -> None:
    first = make_ingestor()
    first.receive_many([env("m1", "2026-09-16T11:00:00Z", A, scored_body(A))])
    ing = Ingestor(store, planning, load_policy("eduarte"), contract)  # a restart: nothing in memory
    ing.prefetch(["m2", "m3", None])  # m1 not among them: looked up on its own
    again = ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A)))
    new = ing.receive(env("m2", "2026-09-17T11:00:00Z", B, scored_body(B)))
    ing.flush()
    assert (again.status, again.first_status, again.first_message_id) == ("duplicate", "applied", "m1")
    assert (new.status, new.version) == ("applied", 1)
    ing.prefetch(["m2"])  # after the flush m2 is in the store
    assert ing.receive(env("m2", "2026-09-17T11:00:00Z", B, scored_body(B))).status == "duplicate"


def test_duplicate_of_a_refused_message_says_how_the_first_was_refused(
    make_ingestor, store, planning, contract
) -> None:
    ing = make_ingestor()
    broken = text_env("m-bad", "2026-09-16T11:00:00Z", A, '{"result": ')
    assert ing.receive(broken).status == "quarantined"
    same_batch = ing.receive(broken)
    ing.flush()
    restarted = Ingestor(store, planning, load_policy("eduarte"), contract).receive(broken)
    for out in (same_batch, restarted):
        assert (out.status, out.reason) == ("duplicate", "same-message-id")
        assert (out.first_status, out.first_reason, out.first_message_id) == (
            "quarantined",
            "json-syntax",
            "m-bad",
        )


def test_same_content_under_a_new_id_names_the_delivery_it_repeats(make_ingestor) -> None:
    ing = make_ingestor()
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A)))
    out = ing.receive(env("m9", "2026-09-16T12:00:00Z", A, scored_body(A)))
    assert (out.status, out.reason, out.version) == ("duplicate", "same-content", 1)
    assert (out.first_status, out.first_message_id) == ("applied", "m1")


def test_flush_extra_is_committed_with_the_batch_or_not_at_all(make_ingestor, store) -> None:
    meta = models.Meta.__table__
    ing = make_ingestor()
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A)))
    ing.flush(extra=lambda conn: conn.execute(insert(meta), [{"key": "http-batch", "value": "1"}]))
    assert store.meta("http-batch") == "1"
    assert store.count(models.OkeLogEntry, kind="message") == 1

    def broken(conn: object) -> None:
        raise RuntimeError("request log unavailable")

    ing.receive(env("m2", "2026-09-17T11:00:00Z", B, scored_body(B)))
    with pytest.raises(RuntimeError):
        ing.flush(extra=broken)
    assert store.count(models.OkeLogEntry, kind="message") == 1  # the message of the failed batch too
    assert store.result(B) is None


def test_current_result_is_the_delivered_result_of_the_current_version(make_ingestor, store: Store) -> None:
    ing = make_ingestor()
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=20, score="4.0")))
    ing.receive(env("m2", "2026-09-18T11:00:00Z", A, scored_body(A, raw=50, score="8.5")))
    ing.receive(env("m3", "2026-09-19T11:00:00Z", A, attendance_body(A)))  # late, ignored
    ing.flush()
    current = store.current_result(A)
    assert current is not None and current["score"] == "8.5" and current["state"] == "completed"
    assert current["consumers"][0]["rawScore"] == 50
    assert store.current_result(B) is None
    assert set(store.current_results([A, B])) == {A}


def test_log_keeps_each_body_once_and_exports_it_with_every_entry(make_ingestor, store: Store) -> None:
    ing = make_ingestor()
    scored = scored_body(A)
    ing.receive_many(
        [
            env("m1", "2026-09-16T11:00:00Z", A, scored),
            env("m1", "2026-09-16T11:00:00Z", A, scored),  # same id: kept in message_body
            text_env("m2", "2026-09-16T12:00:00Z", B, "{oops"),  # quarantine keeps it
            session_report_env("m3", "2026-09-16T13:00:00Z", O_V1, "Geen bijzonderheden."),
            env(
                "m4", "2026-09-16T14:00:00Z", B, {"associationType": "componentOfferingAssociation"}
            ),  # invalid
        ]
    )
    stored = [e for e in store.log() if e["kind"] == "message"]
    assert all('"body"' not in e["detail"] and '"body_text"' not in e["detail"] for e in stored)
    assert store.count(models.MessageBody) == 1  # only the repeated delivery has no other home
    full = [e for e in store.log(bodies=True) if e["kind"] == "message"]
    assert [e["seq"] for e in full] == [e["seq"] for e in stored]
    body = orjson.dumps(scored, option=orjson.OPT_SORT_KEYS).decode()
    assert '"body":' + body in full[0]["detail"] and '"body":' + body in full[1]["detail"]
    assert '"body_text":"{oops"' in full[2]["detail"]
    assert '"offeringType":"component"' in full[3]["detail"]
    assert '"body":{"associationType":"componentOfferingAssociation"}' in full[4]["detail"]
