"""Bad planning, policy and store input: one clear DataError (file, line, pointer, rule), never a traceback.

Each test here failed before its fix: duplicate ids were silently replaced by the last row, a
dangling ``original_association_id`` was accepted, dates that do not exist and non-UTF-8 policy
files raised a Python traceback, an invalid offering ``end`` was reported at ``/start``, a policy
key given twice was accepted, and every unusable ``--db`` was a SQLAlchemy traceback (or, for
``--db ""``, an in-memory store that kept nothing).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from core_builders import EV_V1, EV_V2, O_V1, World, assoc_id, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oke_core.dataerrors import DataError
from oke_core.planning import load_planning
from oke_core.policy import POLICY_DIR, load_policy, parse_policy
from oke_core.store import Store

PRESET = (POLICY_DIR / "beoordelen.yaml").read_text(encoding="utf-8")


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))


def edit(root: Path, name: str, change: Callable[[list[dict[str, Any]]], None]) -> None:
    rows = read_rows(root / name)
    change(rows)
    write_rows(root / name, rows)


def planning_error(root: Path) -> DataError:
    with pytest.raises(DataError) as caught:
        load_planning(root)
    return caught.value


def where(err: DataError) -> tuple[str, int | None, str, str]:
    return Path(err.file).name, err.line, err.pointer, err.rule


def assert_clean_exit_2(res: subprocess.CompletedProcess[str]) -> str:
    """Exit 2, one error line on stderr, no traceback; returns that line."""
    assert res.returncode == 2, res.stderr + res.stdout
    assert "Traceback" not in res.stderr + res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


# -- 1. an id given twice ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("students.jsonl", "student_id"),
        ("assessors.jsonl", "assessor_id"),
        ("components.jsonl", "component_id"),
        ("offerings.jsonl", "offering_id"),
        ("associations.jsonl", "association_id"),
    ],
)
def test_planning_id_given_twice_names_both_lines(tmp_path: Path, name: str, key: str) -> None:
    root = World().write(tmp_path / "p")
    rows = read_rows(root / name)
    again = dict(rows[0])
    if name == "components.jsonl":  # its exam version ids must not be the first duplicate found
        again["versions"] = [dict(v, exam_version_id=f"other-{i}") for i, v in enumerate(again["versions"])]
    write_rows(root / name, [*rows, again])
    err = planning_error(root)
    assert where(err) == (name, len(rows) + 1, f"/{key}", "duplicate-id")
    assert "already on line 1" in err.message and rows[0][key] in err.message
    assert str(err).startswith(f"{root / name}:{len(rows) + 1}: /{key}: ")


def test_two_students_with_one_student_number_are_refused(tmp_path: Path) -> None:
    """The number is how the portal and the letters find a student: shared, one student's page
    would show the other's results."""
    root = World().write(tmp_path / "p")
    rows = read_rows(root / "students.jsonl")
    other = dict(rows[1], student_number=rows[0]["student_number"])
    write_rows(root / "students.jsonl", [rows[0], other, *rows[2:]])
    err = planning_error(root)
    assert where(err) == ("students.jsonl", 2, "/student_number", "duplicate-id")
    assert f"student_number {rows[0]['student_number']} is already on line 1" in err.message


def test_exam_version_id_given_twice_within_and_across_components(tmp_path: Path) -> None:
    root = World().write(tmp_path / "p")

    def twice_in_one(rows: list[dict[str, Any]]) -> None:
        rows[0]["versions"].append(dict(rows[0]["versions"][0], code="B"))

    edit(root, "components.jsonl", twice_in_one)
    err = planning_error(root)
    assert where(err) == ("components.jsonl", 1, "/versions/1/exam_version_id", "duplicate-id")
    assert "already on line 1 (/versions/0/exam_version_id)" in err.message and EV_V1 in err.message

    root = World().write(tmp_path / "q")

    def shared(rows: list[dict[str, Any]]) -> None:
        rows[2]["versions"][0]["exam_version_id"] = EV_V2  # component 3 reuses component 2's version

    edit(root, "components.jsonl", shared)
    err = planning_error(root)
    assert where(err) == ("components.jsonl", 3, "/versions/0/exam_version_id", "duplicate-id")
    assert "already on line 2" in err.message and "(/versions" not in err.message


def test_cli_ingest_refuses_a_duplicate_association_id(tmp_path: Path) -> None:
    root = World().write(tmp_path / "planning")
    rows = read_rows(root / "associations.jsonl")
    write_rows(root / "associations.jsonl", [*rows, rows[3]])
    (tmp_path / "messages.jsonl").write_text("")
    res = run_cli("ingest", "messages.jsonl", "--planning", "planning", "--db", "x.sqlite", cwd=tmp_path)
    line = assert_clean_exit_2(res)
    assert f"associations.jsonl:{len(rows) + 1}: /association_id: " in line
    assert "already on line 4" in line and line.endswith("[duplicate-id]")


# -- 2. a resit pointing at no association -------------------------------------------------------


def test_dangling_original_association_id_is_an_unknown_reference(tmp_path: Path) -> None:
    root = World().write(tmp_path / "p")

    def dangling(rows: list[dict[str, Any]]) -> None:
        rows[4]["original_association_id"] = "00000000-0000-4000-8000-000000000999"
        rows[4]["attempt"] = 2

    edit(root, "associations.jsonl", dangling)
    err = planning_error(root)
    assert where(err) == ("associations.jsonl", 5, "/original_association_id", "ref.unknown-association")
    assert "00000000-0000-4000-8000-000000000999 is not in associations.jsonl" in err.message


def test_original_association_may_come_later_in_the_file(tmp_path: Path) -> None:
    root = World().write(tmp_path / "p")
    last = assoc_id(3, O_V1)

    def resit_first(rows: list[dict[str, Any]]) -> None:
        rows[0]["original_association_id"], rows[0]["attempt"] = last, 2

    edit(root, "associations.jsonl", resit_first)
    plan = load_planning(root)
    assert plan.associations[assoc_id(0, O_V1)].original_association_id == last


# -- 3. dates that match YYYY-MM-DD but do not exist ---------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "pointer"),
    [
        ("closure_days", ["2026-10-19", "2026-13-45"], "/closure_days/1"),
        ("year_start", "2026-02-30", "/year_start"),
        ("year_end", "2027-00-10", "/year_end"),
    ],
)
def test_institution_dates_that_do_not_exist(tmp_path: Path, field: str, value: Any, pointer: str) -> None:
    root = World().write(tmp_path / "p")
    inst = orjson.loads((root / "institution.json").read_bytes())
    inst[field] = value
    (root / "institution.json").write_bytes(orjson.dumps(inst, option=orjson.OPT_INDENT_2))
    err = planning_error(root)
    bad = value[-1] if isinstance(value, list) else value
    text = (root / "institution.json").read_text()
    line = text[: text.index(f'"{bad}"')].count("\n") + 1
    assert where(err) == ("institution.json", line, pointer, "format.date")
    assert repr(bad) in err.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(year=st.integers(0, 9999), month=st.integers(0, 99), day=st.integers(0, 99))
def test_any_closure_day_loads_or_is_a_date_error(tmp_path: Path, year: int, month: int, day: int) -> None:
    root = tmp_path / f"p{year}-{month}-{day}"
    World(closure_days=[f"{year:04d}-{month:02d}-{day:02d}"]).write(root)
    try:
        plan = load_planning(root)
    except DataError as err:
        assert where(err)[2:] == ("/closure_days/0", "format.date")
    else:
        assert plan.closure_days[0].month == month


# -- 4. an invalid offering end is reported at /end ----------------------------------------------


@pytest.mark.parametrize("key", ["start", "end"])
def test_invalid_offering_time_names_its_own_field(tmp_path: Path, key: str) -> None:
    root = World().write(tmp_path / "p")

    def bad_time(rows: list[dict[str, Any]]) -> None:
        rows[1][key] = "2026-11-02T99:99:00Z"

    edit(root, "offerings.jsonl", bad_time)
    err = planning_error(root)
    assert where(err) == ("offerings.jsonl", 2, f"/{key}", "format.date-time")
    assert "'2026-11-02T99:99:00Z'" in err.message


# -- 5. policy files: not UTF-8, a key given twice -----------------------------------------------


def test_policy_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(PRESET.replace("name: beoordelen", "name: beoordelen\n# f\xe9\xe9n").encode("latin-1"))
    with pytest.raises(DataError) as caught:
        load_policy(path)
    err = caught.value
    line = PRESET.splitlines().index("name: beoordelen") + 2
    assert (err.file, err.line, err.rule) == (str(path), line, "encoding.utf-8")
    assert "0xe9" in err.message


@pytest.mark.parametrize(
    ("text", "line", "pointer"),
    [
        (PRESET + "marking_working_days: 7\n", PRESET.count("\n") + 1, "/marking_working_days"),
        (
            PRESET.replace("  rule: after_cut_score\n", "  rule: after_cut_score\n  rule: after_cut_score\n"),
            PRESET.splitlines().index("  rule: after_cut_score") + 2,
            "/establishment/rule",
        ),
        (PRESET + "extra: {a: 1, a: 2}\n", PRESET.count("\n") + 1, "/extra/a"),
    ],
    ids=["top-level", "nested", "flow-mapping"],
)
def test_policy_key_given_twice(tmp_path: Path, text: str, line: int, pointer: str) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_policy(path)
    err = caught.value
    assert (err.file, err.line, err.pointer, err.rule) == (str(path), line, pointer, "duplicate-key")
    assert "is given twice (first on line" in err.message


def test_policy_merge_keys_and_aliases_are_not_duplicates() -> None:
    text = PRESET.replace(
        "establishment:\n  rule: after_cut_score\n",
        "establishment: &est\n  rule: after_cut_score\n",
    )
    assert parse_policy(text).establishment_rule == "after_cut_score"
    with pytest.raises(DataError) as caught:  # a cycle of aliases: the schema complains, no hang
        parse_policy(PRESET + "x: &a [*a]\n")
    assert caught.value.rule.startswith("schema.")
    merged = PRESET.replace("establishment:\n", "base: &b {role: x}\nestablishment:\n  <<: *b\n")
    with pytest.raises(DataError) as caught:
        parse_policy(merged)
    assert caught.value.rule != "duplicate-key"


@pytest.mark.parametrize("path", sorted(POLICY_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_policies_have_no_duplicate_keys(path: Path) -> None:
    assert load_policy(path).name


def test_cli_ingest_names_the_policy_problem(tmp_path: Path) -> None:
    World().write(tmp_path / "planning")
    (tmp_path / "messages.jsonl").write_text("")
    (tmp_path / "p.yaml").write_text(PRESET + "notify_students: true\n", encoding="utf-8")
    args = ("ingest", "messages.jsonl", "--planning", "planning", "--db", "x.sqlite", "--policy", "p.yaml")
    line = assert_clean_exit_2(run_cli(*args, cwd=tmp_path))
    assert line.startswith(f"p.yaml:{PRESET.count(chr(10)) + 1}: /notify_students: ")
    assert line.endswith("[duplicate-key]")
    (tmp_path / "p.yaml").write_bytes(b"name: \xff\n")
    line = assert_clean_exit_2(run_cli(*args, cwd=tmp_path))
    assert line.startswith("p.yaml:1: /: not UTF-8") and line.endswith("[encoding.utf-8]")


# -- 6. stores that cannot be opened -------------------------------------------------------------

UNREACHABLE_PG = "postgresql+psycopg://postgres:s3cretpw@127.0.0.1:1/x"


def bad_stores(tmp: Path) -> dict[str, tuple[str, str]]:
    """case -> (--db value, what the message says)."""
    (tmp / "folder").mkdir(exist_ok=True)
    (tmp / "notes.txt").write_text("not a database, just text\n")
    return {
        "missing-folder": (str(tmp / "no" / "such" / "x.sqlite"), "does not exist"),
        "a-folder": (str(tmp / "folder"), "a folder, not a SQLite database file"),
        "sqlite-url-folder": (f"sqlite:///{tmp / 'folder'}", "a folder"),
        "not-sqlite": (str(tmp / "notes.txt"), "not a SQLite database"),
        "unknown-backend": ("bogus://foo", "unknown database backend 'bogus'"),
        "no-driver": ("mysql://root:s3cretpw@localhost/x", "mysql"),
        "unreachable-pg": (UNREACHABLE_PG, "cannot open the store"),
        "not-a-url": ("://nothing", "not a database URL"),
        "empty": ("", "empty store URL"),
        "blank": ("  ", "empty store URL"),
    }


CASES = [
    "missing-folder",
    "a-folder",
    "sqlite-url-folder",
    "not-sqlite",
    "unknown-backend",
    "no-driver",
    "unreachable-pg",
    "not-a-url",
    "empty",
    "blank",
]


@pytest.mark.parametrize("case", CASES)
def test_store_that_cannot_be_opened_is_a_data_error(tmp_path: Path, case: str) -> None:
    url, says = bad_stores(tmp_path)[case]
    with pytest.raises(DataError) as caught:
        Store.open(url)
    err = caught.value
    assert (err.line, err.pointer, err.rule) == (None, "", "store-open")
    assert says in err.message
    assert "s3cretpw" not in str(err)
    if url.strip():
        assert err.file == url.replace("s3cretpw", "***")
    if case == "missing-folder":
        assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("case", ["missing-folder", "a-folder", "not-sqlite", "unknown-backend", "empty"])
def test_store_opened_read_only_is_checked_too(tmp_path: Path, case: str) -> None:
    url, says = bad_stores(tmp_path)[case]
    with pytest.raises(DataError, match=r"\[store-open\]") as caught:
        Store.open(url, create=False)
    assert says in caught.value.message


def test_good_stores_still_open(tmp_path: Path) -> None:
    (tmp_path / "empty.sqlite").touch()  # an empty file is an empty SQLite database
    for url in (tmp_path / "new.sqlite", str(tmp_path / "empty.sqlite"), "sqlite://"):
        store = Store.open(url)
        assert store.status_counts() == {}
        store.close()


@pytest.mark.parametrize("case", ["empty", "not-sqlite", "unreachable-pg"])
def test_cli_ingest_bad_db_exits_2_without_traceback(tmp_path: Path, case: str) -> None:
    url, says = bad_stores(tmp_path)[case]
    World().write(tmp_path / "planning")
    (tmp_path / "messages.jsonl").write_text("")
    res = run_cli("ingest", "messages.jsonl", "--planning", "planning", "--db", url, cwd=tmp_path)
    line = assert_clean_exit_2(res)
    assert says in line and line.endswith("[store-open]") and "s3cretpw" not in res.stderr


def test_cli_report_vendor_bad_db_exits_2_without_traceback(tmp_path: Path) -> None:
    res = run_cli("report", "vendor", "--db", "mysql://root:s3cretpw@localhost/x", cwd=tmp_path)
    line = assert_clean_exit_2(res)
    assert line.startswith("oke: mysql://root:***@localhost/x: ") and line.endswith("[store-open]")
    assert "s3cretpw" not in res.stderr


def test_urls_and_driver_messages_are_shown_without_the_password() -> None:
    from sqlalchemy.exc import OperationalError

    from oke_core.store.engine import open_problem, redact_url

    assert redact_url("postgresql+psycopg://u:p%40ss@h/db") == "postgresql+psycopg://u:***@h/db"
    assert redact_url("://u:pass@h") == "://u:***@h"
    exc = OperationalError("connect", {}, Exception('password "p@ss1234" was refused\nhint: check it'))
    said = open_problem(exc, "postgresql+psycopg://u:p%40ss1234@h/db")
    assert said == 'cannot open the store: password "***" was refused hint: check it'
