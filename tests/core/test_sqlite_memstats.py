"""SQLite's memory statistics are off when ``oke_core`` is imported first (``oke_core/sqlite_memstats``).

Each case runs in a fresh interpreter: the setting only takes before SQLite starts, once per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# a store ingest would open: a file database in WAL mode with rows in it, then what SQLite counted
PROBE = """
import ctypes, sqlite3, sys, tempfile
from oke_core import sqlite_memstats
with tempfile.TemporaryDirectory() as tmp:
    db = sqlite3.connect(tmp + "/probe.sqlite")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(f"k{i:06d}", "v" * 50) for i in range(5000)])
    db.commit()
    assert db.execute("SELECT count(*), sum(length(v)) FROM t").fetchone() == (5000, 250000)
    used = ctypes.CDLL("libsqlite3.so.0").sqlite3_memory_used()
    db.close()
print(sqlite_memstats.describe(), used)
"""


def _run(first: str, env_extra: dict[str, str] | None = None) -> tuple[str, int]:
    env = {k: v for k, v in os.environ.items() if k != "OKE_SQLITE_MEMSTATUS"}
    env.update(env_extra or {})
    done = subprocess.run(
        [sys.executable, "-c", first + PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    text, used = done.stdout.strip().rsplit(" ", 1)
    return text, int(used)


def test_importing_oke_core_first_turns_the_statistics_off() -> None:
    text, used = _run("import oke_core\n")
    assert text == "SQLite memory statistics off"
    assert used == 0  # nothing counted: no global mutex around each allocation


def test_sqlite3_imported_first_keeps_the_default_and_says_why() -> None:
    text, used = _run("import sqlite3\nimport oke_core\n")
    assert text == "SQLite memory statistics on (sqlite3 was imported before oke_core)"
    assert used > 100_000  # SQLite's own running total of the memory it holds


def test_the_statistics_can_be_kept_on() -> None:
    text, used = _run("import oke_core\n", {"OKE_SQLITE_MEMSTATUS": "1"})
    assert text == "SQLite memory statistics on (OKE_SQLITE_MEMSTATUS=1)"
    assert used > 100_000
