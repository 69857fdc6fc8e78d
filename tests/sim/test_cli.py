"""`oke simulate` as a user runs it: a real process, real files, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

OKE = [sys.executable, "-m", "oke.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OKE, "simulate", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_simulate_tiny_with_self_check(tmp_path: Path) -> None:
    proc = run("tiny", "--seed", "3", "--out", str(tmp_path / "o"), "--self-check")
    assert proc.returncode == 0, proc.stderr
    assert "tiny (seed 3)" in proc.stdout and "self-check:" in proc.stdout
    for name in [
        "messages.jsonl",
        "events.jsonl",
        "truth.jsonl",
        "planning/students.jsonl",
        "planning/offerings.jsonl",
        "planning/associations.jsonl",
        "planning/institution.json",
    ]:
        assert (tmp_path / "o" / name).stat().st_size > 0, name
    assert "\x1b[" not in proc.stderr  # no progress bar when stderr is not a terminal


def test_bad_scenario_file_gives_a_located_error_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 1\nfaults:\n  duplicate: 1.5\n", encoding="utf-8")
    proc = run(str(bad), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert f"{bad}:3: /faults/duplicate: maximum:" in proc.stderr.replace("\n", "")
    assert "Traceback" not in proc.stderr


def test_unknown_scenario_name(tmp_path: Path) -> None:
    proc = run("no-such-thing", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "variant1-baseline" in proc.stderr and "Traceback" not in proc.stderr
