"""The benchmark scripts run as the README says, balance their counts and clean up after themselves.

A million-message ingest leaves about 1.7 GB in its work folder: left in /tmp by every run, a few
runs fill a small disk. These run the scripts at a small size, as a user would, in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from oke_core import compiled

ROOT = Path(__file__).resolve().parents[2]


def _bench(script: str, *args: str, tmpdir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def _counts(stdout: str) -> dict[str, object]:
    line = next(line for line in stdout.splitlines() if line.startswith("counts: "))
    return json.loads(line.removeprefix("counts: "))


def test_ingest_benchmark_balances_its_counts_and_removes_its_temporary_folder(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    done = _bench(
        "ingest.py", "--messages", "3000", "--associations", "300", "--background-writer", "off", tmpdir=tmp
    )
    assert done.returncode == 0, done.stderr
    counts = _counts(done.stdout)
    assert counts["received"] == 3000
    assert counts["applied"] + counts["duplicates"] + counts["quarantined_total"] == 3000  # type: ignore[operator]
    assert counts["quarantined_total"] and counts["duplicates"]  # the generated faults are caught
    assert "messages/s" in done.stdout and "peak RSS" in done.stdout
    # it says which modules it measured
    assert f"code: compiled with mypyc ({len(compiled.HOT_MODULES)} modules)" in done.stdout
    assert list(tmp.iterdir()) == [], "the benchmark left its work folder behind"
    if hasattr(os, "sched_setaffinity"):  # "on one core" is enforced, not assumed
        assert "pinned to cpu " in done.stdout


def test_ingest_benchmark_keeps_a_work_folder_it_was_given(tmp_path: Path) -> None:
    work = tmp_path / "bench"
    done = _bench(
        "ingest.py", "--messages", "2000", "--associations", "200", "--workdir", str(work), tmpdir=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert (work / "krs.sqlite").stat().st_size > 0
    assert len((work / "messages.jsonl").read_bytes().splitlines()) == 2000
    assert f"workdir: {work} (kept" in done.stdout


def test_rehearse_benchmark_times_every_stage_and_removes_its_temporary_folder(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    done = _bench("rehearse.py", "tiny", tmpdir=tmp)
    assert done.returncode == 0, done.stderr
    checks = next(line for line in done.stdout.splitlines() if "checks passed=" in line)
    passed, total = checks.rsplit("=", 1)[1].split("/")
    assert passed == total and int(total) > 0
    assert "krs_state" in done.stdout and "total" in done.stdout
    assert not any(p.name.startswith("oke-bench-") for p in tmp.iterdir())
