"""Planning loader errors, `oke ingest` end to end, and replay of a simulator-style output folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest
from core_builders import (
    EV_V1,
    O_V1,
    World,
    assoc_id,
    attendance_body,
    env,
    run_cli,
    scored_body,
    text_env,
)
from sqlalchemy import create_engine, text

from oke_core.dataerrors import DataError
from oke_core.okelog import replay_log
from oke_core.planning import load_planning
from oke_core.policy import load_policy
from oke_core.replay import replay
from oke_core.store import Store

A, B = assoc_id(0, O_V1), assoc_id(1, O_V1)


def write_out(tmp: Path) -> Path:
    out = tmp / "out"
    World().write(out / "planning")
    msgs = [
        env("m1", "2026-09-14T11:00:00Z", A, attendance_body(A)),
        env("m2", "2026-09-16T11:00:00Z", A, scored_body(A, raw=45)),
        env("m2", "2026-09-16T11:00:00Z", A, scored_body(A, raw=45)),
        env("m3", "2026-09-17T11:00:00Z", B, scored_body(B, raw=10)),
        text_env("m4", "2026-09-18T11:00:00Z", B, "{broken"),
        env("m5", "2026-09-18T12:00:00Z", "00000000-0000-4000-8000-000000000999", scored_body(B)),
    ]
    (out / "messages.jsonl").write_bytes(
        b"".join(orjson.dumps(m) + b"\n" for m in msgs) + b"not json at all\n"
    )
    events = [
        {
            "event_id": "e1",
            "at": "2026-09-21T09:00:00Z",
            "type": "cut_score_released",
            "exam_version_id": EV_V1,
            "cut_score": 30,
            "released_by": "examencommissie",
        }
    ]
    (out / "events.jsonl").write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return out


def test_planning_errors_name_file_line_and_pointer(tmp_path: Path) -> None:
    root = World().write(tmp_path / "p")
    lines = (root / "associations.jsonl").read_text().splitlines()
    row = orjson.loads(lines[2])
    row["attempt"] = 0
    lines[2] = orjson.dumps(row).decode()
    (root / "associations.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as exc:
        load_planning(root)
    assert (Path(exc.value.file).name, exc.value.line, exc.value.pointer, exc.value.rule) == (
        "associations.jsonl",
        3,
        "/attempt",
        "schema.minimum",
    )
    row["attempt"], row["student_id"] = 1, "nobody"
    lines[2] = orjson.dumps(row).decode()
    (root / "associations.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"associations.jsonl:3: /student_id: .* \[ref.unknown-student\]"):
        load_planning(root)


def test_a_planning_saved_with_byte_order_marks_and_crlf_loads_the_same(tmp_path: Path) -> None:
    """Planning files edited on Windows (UTF-8 with BOM, CRLF line ends) load as the originals;
    institution.json with a BOM used to stop with 'byte order mark is not supported'."""
    plain = load_planning(World().write(tmp_path / "plain"))
    root = World().write(tmp_path / "windows")
    for path in sorted(root.iterdir()):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    edited = load_planning(root)
    assert edited.institution == plain.institution
    assert (edited.students, edited.associations, edited.exam_versions) == (
        plain.students,
        plain.associations,
        plain.exam_versions,
    )
    lines = (root / "associations.jsonl").read_bytes().split(b"\r\n")
    row = orjson.loads(lines[0].removeprefix(b"\xef\xbb\xbf"))
    row["student_id"] = "nobody"  # errors on the first line still name it
    (root / "associations.jsonl").write_bytes(b"\xef\xbb\xbf" + b"\r\n".join([orjson.dumps(row), *lines[1:]]))
    with pytest.raises(DataError, match=r"associations.jsonl:1: /student_id: .* \[ref.unknown-student\]"):
        load_planning(root)


@pytest.mark.parametrize("file", ["students.jsonl", "institution.json"])
def test_a_nul_character_in_the_planning_is_refused_with_its_place(tmp_path: Path, file: str) -> None:
    """PostgreSQL cannot store U+0000 and stopped the load with a driver traceback; SQLite took it.
    Both now refuse it on load, naming file, line and field."""
    root = World().write(tmp_path / "p")
    path = root / file
    if file == "institution.json":
        inst = orjson.loads(path.read_bytes())
        inst["name"] = "ROC \x00Test"
        path.write_bytes(orjson.dumps(inst))
        where = "institution.json:1: /name:"
    else:
        lines = path.read_bytes().splitlines()
        row = orjson.loads(lines[1])
        row["family_name"] = "Jan\x00sen"
        lines[1] = orjson.dumps(row)
        path.write_bytes(b"\n".join(lines) + b"\n")
        where = "students.jsonl:2: /family_name:"
    with pytest.raises(DataError, match=r"NUL character") as exc:
        load_planning(root)
    assert where in str(exc.value) and exc.value.rule == "nul-character"


def test_replay_merges_messages_and_events_by_time(tmp_path: Path, store_factory) -> None:
    out = write_out(tmp_path)
    store = store_factory("r")
    counts = replay(store, out, load_policy("beoordelen"), until=date(2026, 12, 31))
    assert (counts.received, counts.applied, counts.duplicates) == (7, 3, 1)
    assert counts.quarantined == {"json-syntax": 2, "unknown-association": 1} and counts.events == 1
    assert store.result(A)["status"] == "definitive" and store.result(A)["grade"] == "7.8"
    assert store.meta("clock") == "2026-12-31"


def test_replay_until_stops_before_later_items(tmp_path: Path, store_factory) -> None:
    out = write_out(tmp_path)
    store = store_factory("u")
    counts = replay(store, out, load_policy("beoordelen"), until=date(2026, 9, 16))
    assert counts.received == 3 and counts.events == 0
    assert store.result(A)["status"] == "awaiting_cut_score"


def test_cli_ingest_prints_counts_and_exits_zero_with_quarantine(tmp_path: Path) -> None:
    out = write_out(tmp_path)
    res = run_cli(
        "ingest",
        str(out / "messages.jsonl"),
        "--planning",
        str(out / "planning"),
        "--as-of",
        "2026-12-31",
        "--json",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    data = orjson.loads(res.stdout)
    assert (data["received"], data["applied"], data["duplicates"], data["quarantined_total"]) == (7, 3, 1, 3)
    assert data["policy"] == "eduarte" and data["events"] == 1  # from institution.json; events.jsonl beside
    store = Store.open(tmp_path / "krs.sqlite", create=False)
    assert store.result(A)["status"] == "closed"
    store.close()
    table = run_cli(
        "ingest",
        str(out / "messages.jsonl"),
        "--planning",
        str(out / "planning"),
        "--db",
        str(tmp_path / "second.sqlite"),
        "--policy",
        "beoordelen",
        cwd=tmp_path,
    )
    assert table.returncode == 0 and "json-syntax" in table.stdout and "quarantined" in table.stdout


def test_cli_ingest_bad_input_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    out = write_out(tmp_path)
    (out / "planning" / "offerings.jsonl").write_text('{"offering_id": 1}\n')
    res = run_cli("ingest", str(out / "messages.jsonl"), "--planning", str(out / "planning"), cwd=tmp_path)
    assert res.returncode == 2
    assert "offerings.jsonl:1: /: " in res.stderr and "[schema.required]" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    out = write_out(tmp_path / "fresh")
    res = run_cli(
        "ingest",
        str(out / "messages.jsonl"),
        "--planning",
        str(out / "planning"),
        "--policy",
        "nope",
        cwd=tmp_path,
    )
    assert res.returncode == 2 and "[policy.not-found]" in res.stderr and "Traceback" not in res.stderr


def test_a_store_made_by_another_version_is_refused_and_its_log_still_replays(
    tmp_path: Path, store, planning_dir, make_ingestor
) -> None:
    ing = make_ingestor()
    ing.receive(env("m1", "2026-09-16T11:00:00Z", A, scored_body(A, raw=45)))
    ing.flush()
    with store.engine.begin() as conn:  # what an older version's result_version looked like
        conn.execute(text("ALTER TABLE result_version ADD COLUMN raw_score INTEGER"))
    with pytest.raises(DataError) as caught:
        Store.open(store.url, schema=store.schema)
    err = caught.value
    assert (err.pointer, err.rule) == ("/result_version", "store-schema")
    assert "columns no longer used: raw_score" in err.message
    # read-only, the old store's log is still there to rebuild a new store from
    old = Store.open(store.url, schema=store.schema, create=False)
    new = Store.open(f"sqlite:///{tmp_path / 'new.sqlite'}")
    replay_log(old.log(bodies=True), new, load_planning(planning_dir), load_policy("eduarte"))
    assert new.result(A)["raw_score"] == 45 and new.versions(A)[0]["raw_score"] == 45
    old.close()
    new.close()


def test_cli_names_a_store_from_another_version_without_a_traceback(tmp_path: Path) -> None:
    out = write_out(tmp_path)
    db = tmp_path / "old.sqlite"
    Store.open(db).close()
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE inbox ADD COLUMN flow INTEGER"))
    engine.dispose()
    args = ("ingest", str(out / "messages.jsonl"), "--planning", str(out / "planning"), "--db", str(db))
    res = run_cli(*args, cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr + res.stdout
    assert "/inbox: table inbox was made by another version of oke" in res.stderr
    assert "[store-schema]" in res.stderr
