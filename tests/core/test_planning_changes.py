"""A planning that changes under an existing store is refused; one that only adds rows is loaded.

The results in a store were built on its planning (deadlines from the sitting dates, grades from
the components, the student from the association). ``Store.load_planning`` used to insert the
missing rows only, so a changed row was silently kept as it was while ingest used the new one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import pytest
from core_builders import O_V1, STUDENTS, World, message_stream, run_cli, uid

from oke_core.dataerrors import DataError
from oke_core.ingest import Ingestor
from oke_core.planning import load_planning
from oke_core.policy import load_policy
from oke_core.store import Store, models


def _rows(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def _change_jsonl(name: str, index: int, key: str, value: Any) -> Callable[[Path], int]:
    def change(root: Path) -> int:
        rows = _rows(root / name)
        rows[index][key] = value
        _write(root / name, rows)
        return index + 1  # the line

    return change


def _change_institution(root: Path) -> int:
    path = root / "institution.json"
    inst = orjson.loads(path.read_bytes())
    inst["closure_days"] = [*inst["closure_days"], "2026-11-02"]
    path.write_bytes(orjson.dumps(inst, option=orjson.OPT_SORT_KEYS))
    return 1


def _messages() -> list[dict[str, Any]]:
    return message_stream([("scored", s, O_V1, 30 + s, 0) for s in range(4)])


@pytest.mark.parametrize(
    "case", ["student renamed", "institution closed one more day", "offering moved", "exam version rescored"]
)
def test_a_changed_planning_row_is_refused_and_nothing_is_written(
    store_factory: Callable[[str], Store], tmp_path: Path, contract: Any, case: str
) -> None:
    root = World().write(tmp_path / f"planning-{case.replace(' ', '-')}")
    store = store_factory("krs")
    first = Ingestor(store, load_planning(root), load_policy("eduarte"), contract)
    first.receive_many(_messages())
    first.flush()
    before = store.dump()
    if case == "student renamed":
        line, pointer, name = (
            _change_jsonl("students.jsonl", 2, "family_name", "de Vries")(root),
            "/family_name",
            "students.jsonl",
        )
        ident = STUDENTS[2]
    elif case == "exam version rescored":  # sits in a component's versions list
        rows = _rows(root / "components.jsonl")
        rows[1]["versions"][0]["max_raw_score"] += 10
        _write(root / "components.jsonl", rows)
        line, pointer, name = 2, "/versions/0/max_raw_score", "components.jsonl"
        ident = rows[1]["versions"][0]["exam_version_id"]
    elif case == "institution closed one more day":
        line, pointer, name = _change_institution(root), "/closure_days", "institution.json"
        ident = None
    else:
        rows = _rows(root / "offerings.jsonl")
        for key in ("start", "end"):  # the same session a day later
            rows[0][key] = rows[0][key].replace("2026-09-14", "2026-09-15")
        _write(root / "offerings.jsonl", rows)
        line, pointer, name, ident = 1, "/start", "offerings.jsonl", rows[0]["offering_id"]
    changed = load_planning(root)
    with pytest.raises(DataError) as caught:
        Ingestor(store, changed, load_policy("eduarte"), contract)
    err = caught.value
    assert (Path(err.file).name, err.line, err.pointer, err.rule) == (name, line, pointer, "planning-changed")
    assert Path(err.file).parent == root
    assert "in the store but" in err.message and "use a new store" in err.message
    if ident is not None:
        assert ident in err.message
    assert store.dump() == before  # not a row added, not a log entry


def test_a_planning_that_only_adds_rows_is_loaded_and_logged(
    store_factory: Callable[[str], Store], tmp_path: Path, contract: Any
) -> None:
    root = World().write(tmp_path / "planning")
    store = store_factory("krs")
    first = Ingestor(store, load_planning(root), load_policy("eduarte"), contract)
    first.receive_many(_messages())
    first.flush()
    students = _rows(root / "students.jsonl")
    new_student = dict(students[0], student_id=uid(999), student_number="599999", email="new@example.nl")
    _write(root / "students.jsonl", [*students, new_student])
    associations = _rows(root / "associations.jsonl")
    new_assoc = dict(associations[0], association_id=uid(998), student_id=uid(999))
    _write(root / "associations.jsonl", [*associations, new_assoc])
    second = Ingestor(store, load_planning(root), load_policy("eduarte"), contract)
    second.flush()
    assert {s["student_id"] for s in store.rows(models.Student)} >= {uid(999)}
    assert uid(998) in {p["association_id"] for p in store.rows(models.Participation)}
    loads = [e for e in store.log() if e["rule"] == "planning-load"]
    assert len(loads) == 2 and orjson.loads(loads[1]["detail"])["rows_added"] == 2


def test_cli_ingest_names_the_changed_row_and_exits_2(tmp_path: Path) -> None:
    root = World().write(tmp_path / "planning")
    (tmp_path / "messages.jsonl").write_text("")
    ok = run_cli("ingest", "messages.jsonl", "--planning", "planning", "--db", "x.sqlite", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    with closing(sqlite3.connect(tmp_path / "x.sqlite")) as db:
        log_before = db.execute("SELECT count(*) FROM oke_log").fetchone()[0]
    students = _rows(root / "students.jsonl")
    students[1]["email"] = "elsewhere@example.nl"
    _write(root / "students.jsonl", students)
    res = run_cli("ingest", "messages.jsonl", "--planning", "planning", "--db", "x.sqlite", cwd=tmp_path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    line = res.stderr.strip().splitlines()[-1]
    assert "students.jsonl:2: /email: " in line and line.endswith("[planning-changed]")
    assert "'elsewhere@example.nl'" in line
    with closing(sqlite3.connect(tmp_path / "x.sqlite")) as db:
        assert db.execute("SELECT count(*) FROM oke_log").fetchone()[0] == log_before
        assert db.execute("SELECT email FROM student WHERE student_id = ?", (STUDENTS[1],)).fetchone()[0] != (
            "elsewhere@example.nl"
        )


def test_cli_ingest_tries_the_quarantine_again_when_the_missing_deelname_arrives(tmp_path: Path) -> None:
    """The planning first lacks one deelname: its result is quarantined. A later `oke ingest`
    with the planning that has it applies that result (before the new messages), and says so."""
    from core_builders import assoc_id

    late = assoc_id(0, O_V1)
    _write(tmp_path / "messages.jsonl", _messages())
    World(drop_associations={late}).write(tmp_path / "planning")

    def ingest(*extra: str) -> dict[str, Any]:
        args = ("ingest", "messages.jsonl", "--planning", "planning", "--db", "x.sqlite", "--json", *extra)
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return orjson.loads(done.stdout)

    first = ingest()
    assert first["quarantined"] == {"unknown-association": 1} and "reprocessed" not in first
    World().write(tmp_path / "planning")  # the deelname arrives
    second = ingest()
    assert second["reprocessed"] == {"tried": 1, "applied": 1, "duplicates": 0, "still_quarantined": 0}
    assert second["received"] == second["duplicates"] == len(_messages())  # the file itself: all known
    with closing(sqlite3.connect(tmp_path / "x.sqlite")) as db:
        assert db.execute("SELECT status FROM quarantine").fetchall() == [("released",)]
        assert db.execute("SELECT raw_score FROM result WHERE association_id = ?", (late,)).fetchone() == (
            30,
        )
    third = ingest()  # the same planning again: nothing new, so no second try unless asked
    assert "reprocessed" not in third
    assert ingest("--reprocess")["reprocessed"]["tried"] == 0
