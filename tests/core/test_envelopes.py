"""Broken envelopes, repeated files and repeated events: each message is accounted for, nothing stops.

A message file is written by someone else's software. One bad field (a path that is a list, a
``sent_at`` without a time zone) must quarantine that one message with the field named, never
stop the file, move the clock or lose the messages around it; and a file or event file applied
twice must change nothing the second time.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import orjson
import pytest
from core_builders import EV_V1, O_V1, assoc_id, attendance_body, env, scored_body, text_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from oke.cli import app
from oke_core.ingest import Ingestor
from oke_core.okelog import replay_log
from oke_core.policy import load_policy
from oke_core.replay import ingest_files
from oke_core.store import Store, models

A, B = assoc_id(0, O_V1), assoc_id(1, O_V1)

BROKEN = {
    "path is a list": ({"path": ["x"]}, "/path"),
    "method is an object": ({"method": {"a": 1}}, "/method"),
    "method DELETE": ({"method": "DELETE"}, "/method"),
    "flow is text": ({"flow": "x"}, "/flow"),
    "flow 99": ({"flow": 99}, "/flow"),
    "message_id is a number": ({"message_id": 7}, "/message_id"),
    "received_at garbage": ({"received_at": "garbage"}, "/received_at"),
    "sent_at without time zone": ({"sent_at": "2026-09-16T11:00:00"}, "/sent_at"),
    "sent_at 30 February": ({"sent_at": "2026-02-30T11:00:00Z"}, "/sent_at"),
    "sent_at garbage": ({"sent_at": "garbage"}, "/sent_at"),
    "sent_at missing": ({"sent_at": None}, "/sent_at"),
    "body and body_text": ({"body_text": "{}"}, "/body_text"),
    # a mistyped year: valid times, but decades from the planning's school year (2026-08-01..2027-07-31)
    "sent_at in 2062 for 2026": ({"sent_at": "2062-09-15T11:00:00Z"}, "/sent_at"),
    "received_at ten years early": ({"received_at": "2016-09-15T11:00:00Z"}, "/received_at"),
}


def _good() -> list[dict[str, Any]]:
    return [
        env("m1", "2026-09-14T11:00:00Z", A, attendance_body(A)),
        env("m3", "2026-09-16T12:00:00Z", B, scored_body(B, raw=40)),
    ]


def _broken(change: dict[str, Any]) -> dict[str, Any]:
    bad = env("m2", "2026-09-15T11:00:00Z", A, scored_body(A, raw=33))
    for key, value in change.items():
        if value is None:
            bad.pop(key)
        else:
            bad[key] = value
    return bad


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_envelope_field_quarantines_that_message_only(make_ingestor, store, case: str) -> None:
    change, pointer = BROKEN[case]
    first, last = _good()
    ing = make_ingestor("eduarte")
    counts = ing.receive_many([first, _broken(change), last])
    assert counts.received == 3 and counts.applied == 2 and counts.quarantined == {"invalid": 1}
    [item] = store.rows(models.QuarantineItem)
    problems = orjson.loads(item["problems"])
    assert [(p["pointer"], p["code"]) for p in problems] == [(pointer, "envelope-invalid")]
    assert item["body_text"]  # the body is kept for whoever repairs it
    # an unusable time never moves the clock: it stays at the last good message's day
    assert ing.today is not None and ing.today.isoformat() == "2026-09-16"
    assert store.result(B)["raw_score"] == 40


def test_a_message_without_a_usable_time_does_not_move_the_clock_forward(make_ingestor) -> None:
    ing = make_ingestor("eduarte")
    ing.receive_many([_good()[0], _broken({"sent_at": "2207-13-02T12:00:00Z"})])
    assert ing.today is not None and ing.today.isoformat() == "2026-09-14"


@pytest.mark.parametrize(
    ("sent_at", "applied"),
    [
        ("2028-07-31T12:00:00Z", True),  # year_end 2027-07-31 + 366 days: still a late correction
        ("2028-08-01T12:00:00Z", False),
        ("2025-07-31T12:00:00Z", True),  # year_start 2026-08-01 - 366 days
        ("2025-07-30T12:00:00Z", False),
    ],
)
def test_a_message_time_may_lie_a_year_outside_the_school_year_not_more(
    make_ingestor, store, sent_at: str, applied: bool
) -> None:
    ing = make_ingestor("eduarte")
    outcome = ing.receive(env("m1", sent_at, A, scored_body(A, raw=33)))
    ing.flush()
    assert outcome.status == ("applied" if applied else "quarantined")
    assert (ing.today is not None) == applied  # a refused time never sets the clock
    if not applied:
        [problem] = outcome.problems
        assert (problem.pointer, problem.code) == ("/sent_at", "envelope-invalid")
        assert "more than a year outside the planning's school year (2026-08-01 to 2027-07-31)" in (
            problem.message
        )


def test_a_mistyped_year_leaves_every_other_result_as_a_clean_file_does(make_ingestor, store_factory) -> None:
    """Before, one sent_at of 2062 moved the clock there: every later result was established at once."""
    first, last = _good()
    typo = env("m2", "2062-09-15T11:00:00Z", A, scored_body(A, raw=33))
    ing = make_ingestor("eduarte")
    counts = ing.receive_many([first, typo, last])
    clean = Ingestor(store_factory("clean"), ing.planning, ing.policy, ing.contract)
    clean.receive_many([first, last])
    assert counts.quarantined == {"invalid": 1} and counts.applied == 2
    assert ing.today is not None and ing.today.isoformat() == "2026-09-16" and clean.today == ing.today
    for aid in (A, B):  # the same state and dates (only the log positions differ)
        assert _lifecycle(ing.results[aid]) == _lifecycle(clean.results[aid])
    assert ing.results[B].definitive_on is None  # the eduarte windows are still open


def test_reprocessing_keeps_a_message_refused_for_its_time_in_quarantine(
    make_ingestor, store, store_factory, planning, contract
) -> None:
    """The quarantine keeps the body, not the envelope's times: a reprocess (which any planning
    repair starts) used to apply such a message at the time it was logged, its time never fixed."""
    first, last = _good()
    typo = env("m2", "2062-09-15T11:00:00Z", A, scored_body(A, raw=33))
    garbage = env("m4", "garbage", A, scored_body(A, raw=34))
    ing = make_ingestor("eduarte")
    ing.receive_many([first, typo, garbage, last])
    again = ing.reprocess_quarantine()
    assert (again.received, again.applied, again.quarantined) == (2, 0, {"invalid": 2})
    assert [q["status"] for q in store.rows(models.QuarantineItem)] == ["open", "open"]
    assert store.result(A)["raw_score"] is None  # still the attendance-only first message
    rebuilt = store_factory("rebuilt")
    replay_log(iter(list(store.log(bodies=True))), rebuilt, planning, load_policy("eduarte"), contract)
    assert rebuilt.dump() == store.dump()


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_reprocessing_keeps_every_broken_envelope_in_quarantine(make_ingestor, store, case: str) -> None:
    """No planning repair changes an envelope: flow 99 or a numeric id used to be applied then."""
    first, last = _good()
    ing = make_ingestor("eduarte")
    ing.receive_many([first, _broken(BROKEN[case][0]), last])
    again = ing.reprocess_quarantine()
    assert (again.received, again.applied, again.quarantined) == (1, 0, {"invalid": 1})
    [item] = store.rows(models.QuarantineItem)
    assert item["status"] == "open"


def _lifecycle(rec: Any) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(rec).items() if k != "current_seq"}


def test_the_receivers_own_clock_is_not_bounded_by_the_school_year(make_ingestor) -> None:
    """oke serve stamps its own time: a rehearsal planning used years later still takes messages."""
    ing = make_ingestor("eduarte")
    typo = env("m1", "2062-09-15T11:00:00Z", A, scored_body(A, raw=33))
    outcome = ing.receive(typo, "2030-03-04T10:00:00Z")
    assert outcome.status == "applied"
    assert ing.today is not None and ing.today.isoformat() == "2030-03-04"


def test_a_log_with_broken_envelopes_replays_to_the_same_store(
    make_ingestor, store, store_factory, planning, contract
) -> None:
    first, last = _good()
    broken = [_broken(change) for change, _ in BROKEN.values()]
    for n, item in enumerate(broken):  # distinct ids, so none is a duplicate of another
        if isinstance(item.get("message_id"), str):
            item["message_id"] = f"bad-{n}"
    make_ingestor("eduarte").receive_many([*broken, first, *copy.deepcopy(broken), last])
    rebuilt = store_factory("rebuilt")
    replay_log(iter(list(store.log(bodies=True))), rebuilt, planning, load_policy("eduarte"), contract)
    original, copied = store.dump(), rebuilt.dump()
    for table in original:
        assert copied[table] == original[table], table


# what a JSON line can hold (orjson reads integers beyond 64 bits as floats)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
FIELDS = st.sampled_from(
    ["message_id", "sent_at", "received_at", "method", "path", "flow", "body", "body_text"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(FIELDS, JSON), min_size=1, max_size=4))
def test_any_envelope_value_ends_up_counted_never_raised(
    store_factory, planning, contract, changes: list[tuple[str, Any]]
) -> None:
    store = store_factory("prop")
    try:
        ing = Ingestor(store, planning, load_policy("eduarte"), contract)
        bad = env("m2", "2026-09-15T11:00:00Z", A, scored_body(A, raw=33))
        for key, value in changes:
            bad[key] = value
        counts = ing.receive_many([*_good(), bad])
        ing.flush()
    finally:
        store.close()  # now, not after the last example: 60 open PostgreSQL pools exhaust the server
    assert counts.received == 3 == counts.applied + counts.duplicates + sum(counts.quarantined.values())


def test_the_same_file_twice_is_all_duplicates_even_with_a_reused_id(
    tmp_path: Path, planning_dir: Path
) -> None:
    """A reused message id with another body is a message of its own; delivering it again is not."""
    a = env("m2", "2026-09-15T11:00:00Z", A, scored_body(A, raw=33))
    reused = env("m2", "2026-09-15T11:05:00Z", A, scored_body(A, raw=30))
    later = env("m7", "2026-09-15T11:10:00Z", A, scored_body(A, raw=25))
    first, second = tmp_path / "a.jsonl", tmp_path / "bc.jsonl"
    first.write_bytes(orjson.dumps(a) + b"\n")
    second.write_bytes(orjson.dumps(reused) + b"\n" + orjson.dumps(later) + b"\n")
    db = tmp_path / "krs.sqlite"
    runs = [ingest_files(f, planning_dir, db=db, policy="eduarte")[0] for f in (first, second, second)]
    assert [(c.applied, c.duplicates) for c in runs] == [(1, 0), (2, 0), (0, 2)]
    from oke_core.store import Store

    store = Store.open(f"sqlite:///{db}")
    try:
        result = store.result(A)
        assert (result["raw_score"], result["versions"], result["corrections"]) == (25, 3, 2)
    finally:
        store.close()


def test_an_event_file_applied_twice_changes_nothing_the_second_time(
    tmp_path: Path, planning_dir: Path
) -> None:
    messages = tmp_path / "messages.jsonl"
    messages.write_bytes(orjson.dumps(env("m2", "2026-09-15T11:00:00Z", A, scored_body(A, raw=33))) + b"\n")
    events = tmp_path / "events.jsonl"
    cut = {
        "event_id": "e-cut",
        "at": "2026-09-20T09:00:00Z",
        "type": "cut_score_released",
        "exam_version_id": EV_V1,
        "cut_score": 30,
        "released_by": "examencommissie",
    }
    complaint = {"event_id": "e-c1", "at": "2026-09-16T09:00:00Z", "type": "complaint_filed"}
    complaint |= {"association_id": A, "case_id": "case-1"}
    events.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in (complaint, cut)))
    db = tmp_path / "krs.sqlite"
    first = ingest_files(messages, planning_dir, db=db, policy="eduarte", events=events)[0]
    from oke_core.store import Store

    store = Store.open(f"sqlite:///{db}")
    before = store.dump()
    store.close()
    again = ingest_files(messages, planning_dir, db=db, policy="eduarte", events=events)[0]
    assert (first.events, first.event_duplicates, first.event_errors) == (2, 0, 0)
    assert (again.events, again.event_duplicates, again.event_errors) == (2, 2, 0)
    store = Store.open(f"sqlite:///{db}")
    try:
        after = store.dump()
        for table in ("result", "case_file", "cut_score"):
            assert after[table] == before[table], table
    finally:
        store.close()


def test_a_byte_order_mark_on_the_first_line_is_not_a_broken_message(
    tmp_path: Path, planning_dir: Path
) -> None:
    path = tmp_path / "bom.jsonl"
    lines = [orjson.dumps(e) for e in _good()]
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    counts = ingest_files(path, planning_dir, db=tmp_path / "krs.sqlite", policy="eduarte")[0]
    assert (counts.received, counts.applied) == (2, 2)


def test_a_line_that_is_not_utf8_is_quarantined_as_sent_and_replays_the_same(
    tmp_path: Path, planning_dir: Path, planning, contract
) -> None:
    """A vendor file saved as Windows-1252: the line is quarantined json-syntax, naming the first
    bad byte, with its bytes kept (as \\xNN, not U+FFFD); the rest of the file is applied."""
    first, last = _good()
    body = scored_body(assoc_id(1, O_V1), raw=40)
    body["result"]["consumers"][0]["irregularities"] = "Beoordeeld door Bénédicte"
    latin = orjson.dumps(env("cp1252-line", "2026-09-15T12:00:00Z", assoc_id(1, O_V1), body))
    latin = latin.decode().encode("cp1252")
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join([orjson.dumps(first), latin, orjson.dumps(last)]) + b"\n")
    db = tmp_path / "krs.sqlite"
    counts = ingest_files(path, planning_dir, db=db, policy="eduarte")[0]
    assert (counts.received, counts.applied, counts.quarantined) == (3, 2, {"json-syntax": 1})
    store = Store.open(f"sqlite:///{db}")
    rebuilt = Store.open(f"sqlite:///{tmp_path / 'rebuilt.sqlite'}")
    try:
        [item] = store.rows(models.QuarantineItem)
        assert item["reason"] == "json-syntax" and item["message_id"] == "mixed.jsonl:2"
        assert item["body_text"] == latin.decode("utf-8", "backslashreplace")
        assert "\\xe9" in item["body_text"] and "\ufffd" not in item["body_text"]
        [problem] = orjson.loads(item["problems"])
        assert problem["code"] == "json-syntax" and "not UTF-8" in problem["message"]
        assert f"at byte {latin.index(0xE9) + 1}" in problem["message"]
        replay_log(iter(list(store.log(bodies=True))), rebuilt, planning, load_policy("eduarte"), contract)
        original, copied = store.dump(), rebuilt.dump()
        for table in original:
            assert copied[table] == original[table], table
    finally:
        store.close()
        rebuilt.close()


def test_ingest_cli_refuses_a_missing_events_file(tmp_path: Path, planning_dir: Path) -> None:
    messages = tmp_path / "messages.jsonl"
    messages.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in _good()))
    missing = tmp_path / "typo.jsonl"
    result = CliRunner().invoke(
        app, ["ingest", str(messages), "--planning", str(planning_dir), "--events", str(missing)]
    )
    assert result.exit_code == 2
    assert f"--events {missing}: file not found" in result.output
    assert "Traceback" not in result.output


def test_ingest_cli_names_the_store_on_one_line_above_the_counts(tmp_path: Path, planning_dir: Path) -> None:
    """A long store URL used to wrap inside the two narrow columns of the counts table."""
    messages = tmp_path / "messages.jsonl"
    messages.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in _good()))
    folder = tmp_path / "a-rather-long-folder-name-for-the-krs-store" / "of-this-institution"
    folder.mkdir(parents=True)
    url = f"sqlite:///{folder}/krs.sqlite"
    result = CliRunner().invoke(
        app, ["ingest", str(messages), "--planning", str(planning_dir), "--db", url], terminal_width=80
    )
    assert result.exit_code == 0, result.output
    assert f"oke ingest -> {url} (policy eduarte)" in result.output.splitlines()
    received = [line.split("│") for line in result.output.splitlines() if "│ received " in line]
    assert [cells[2].strip() for cells in received] == [str(len(_good()))]


def test_register_rows_wait_for_a_checkpoint_and_duplicates_are_still_caught(
    store_factory, planning, contract
) -> None:
    """Bulk ingest writes the idempotency register in large groups (random message ids are
    expensive to index one batch at a time); a repeat that arrives meanwhile is still a duplicate."""
    store = store_factory("deferred")
    ing = Ingestor(store, planning, load_policy("eduarte"), contract, batch_size=2, inbox_batch=5)
    first = [env(f"m{i}", f"2026-09-15T11:0{i}:00Z", A, scored_body(A, raw=20 + i)) for i in range(4)]
    ing.receive_many(first, checkpoint=False)
    assert store.count(models.InboxEntry) == 0  # 4 waiting, fewer than 5
    assert store.count(models.OkeLogEntry) > 0  # while the log is written batch by batch
    again = ing.receive_many([first[1], env("m9", "2026-09-15T11:09:00Z", B, scored_body(B, raw=40))])
    assert (again.duplicates, again.applied) == (1, 1)
    assert store.count(models.InboxEntry) == 5  # the checkpoint at the end of the call wrote them


def test_a_nul_character_is_quarantined_with_its_field_and_stored_escaped(store_factory, planning, contract):
    """PostgreSQL text cannot hold U+0000: a message with one used to fail the whole batch there.
    Now it is quarantined (the field named) on both backends, its text kept with the NUL escaped."""
    from oke_core.nul import NUL_STORED

    store = store_factory("nul")
    nul_in_body = scored_body(A, raw=33)
    nul_in_body["result"]["consumers"][0]["assessorCode"] = "JD\x00V"
    sent = [
        *_good(),
        env("m\x00id", "2026-09-15T11:00:00Z", A, scored_body(A, raw=31)),
        env("m4", "2026-09-15T11:05:00Z", A, nul_in_body),
        text_env("m5", "2026-09-15T11:10:00Z", A, '{"associationType": "x\x00"}'),
    ]
    try:
        ing = Ingestor(store, planning, load_policy("eduarte"), contract)
        counts = ing.receive_many(sent)
        ing.flush()
        assert (counts.received, counts.applied, counts.quarantined_total) == (5, 2, 3)
        rows = {q["message_id"]: q for q in store.rows(models.QuarantineItem)}
        assert set(rows) == {f"m{NUL_STORED}id", "m4", "m5"}
        problems = {mid: orjson.loads(q["problems"]) for mid, q in rows.items()}
        assert problems[f"m{NUL_STORED}id"][0]["pointer"] == "/message_id"
        assert [(p["pointer"], p["code"]) for p in problems["m4"]] == [
            ("/result/consumers/0/assessorCode", "nul-character")
        ]
        assert (
            rows["m5"]["reason"] == "json-syntax"
            and rows["m5"]["body_text"] == '{"associationType": "x\\u0000"}'
        )
        assert all("\x00" not in str(v) for q in rows.values() for v in q.values())
        again = ing.receive_many(sent)  # the same file again: every message recognised
        assert again.duplicates == 5
    finally:
        store.close()


def test_an_event_with_a_nul_character_is_applied_with_it_escaped(store_factory, planning, contract):
    store = store_factory("nul-events")
    event = {
        "event_id": "e\x001",
        "at": "2026-09-20T10:00:00Z",
        "type": "complaint_filed",
        "case_id": "c\x001",
        "association_id": A,
        "reason": "cijfer\x00klopt niet",
    }
    try:
        ing = Ingestor(store, planning, load_policy("eduarte"), contract)
        ing.receive_many(_good())
        ing.apply_event(event)
        ing.apply_event(event)  # the same event again
        ing.flush()
        [case] = store.rows(models.Case)
        assert (case["case_id"], case["reason"]) == ("c\\u00001", "cijfer\\u0000klopt niet")
        assert (ing.counts.events, ing.counts.event_duplicates) == (2, 1)
    finally:
        store.close()
