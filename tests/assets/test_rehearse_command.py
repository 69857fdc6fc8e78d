"""`oke rehearse` as a user runs it: a subprocess, twice, with byte-identical files and exit code 0."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FILES = [
    "results.csv",
    "oke_log.jsonl",
    "quarantine.jsonl",
    "compliance.json",
    "compliance.md",
    "summary.json",
    "daily_control.json",
    "portal.json",
    "notifications.jsonl",
    "rehearsal.json",
]
COLUMNS = [
    "association_id",
    "student_number",
    "component_code",
    "exam_version",
    "attempt",
    "sitting_date",
    "attendance",
    "raw_score",
    "max_raw_score",
    "grade",
    "status",
    "provisional_since",
    "cut_score_known_on",
    "complaint_deadline",
    "definitive_on",
    "appeal_deadline",
    "variant",
]


def _rehearse(
    out: Path | None, *extra: str, scenario: str = "tiny", cwd: Path = REPO, scenario_dir: Path | None = None
) -> subprocess.CompletedProcess:
    """`oke rehearse` in a fresh process, without the caller's OKE_DB_URL or OKE_SCENARIO_DIR."""
    env = {k: v for k, v in os.environ.items() if k not in ("OKE_DB_URL", "OKE_SCENARIO_DIR")}
    if scenario_dir is not None:
        env["OKE_SCENARIO_DIR"] = str(scenario_dir)
    oke = Path(sys.executable).with_name("oke")
    return subprocess.run(
        [str(oke), "rehearse", scenario, *([] if out is None else ["--out", str(out)]), *extra],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    a, b = tmp_path_factory.mktemp("a") / "tiny", tmp_path_factory.mktemp("b") / "tiny"
    return a, _rehearse(a), b, _rehearse(b)


def test_exit_code_and_summary_printed(runs):
    _, first, _, _ = runs
    assert first.returncode == 0, first.stdout + first.stderr
    for label in (
        "messages received",
        "applied",
        "duplicates",
        "quarantined",
        "provisional",
        "definitive",
        "deadline breaches",
    ):
        assert label in first.stdout
    assert "Traceback" not in first.stderr


def test_same_seed_gives_identical_files(runs):
    a, _, b, _ = runs
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert str(a) not in (a / "summary.json").read_text()


def test_files_satisfy_the_invariants(runs):
    a, _, _, _ = runs
    with (a / "results.csv").open(newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames[: len(COLUMNS)] == COLUMNS
        rows = list(reader)
    summary = json.loads((a / "summary.json").read_text())
    counts = summary["counts"]
    assert counts["messages"] == counts["applied"] + counts["duplicates"] + counts["quarantined"]
    assert {r["status"] for r in rows} <= {"provisional", "definitive", "withdrawn", "quarantined"}
    assert counts["definitive"] == sum(r["status"] == "definitive" for r in rows)
    for r in rows:
        if r["status"] == "definitive" and r["variant"] == "1" and r["cut_score_known_on"]:
            assert r["cut_score_known_on"] <= r["definitive_on"]
    quarantine = (a / "quarantine.jsonl").read_text().splitlines()
    assert len(quarantine) == counts["quarantined"]
    assert all(json.loads(line)["reason"] for line in quarantine)
    log = [json.loads(line) for line in (a / "oke_log.jsonl").read_text().splitlines()]
    assert sum(e["kind"] == "message" for e in log) == counts["messages"]
    assert summary["all_checks_passed"] is True
    assert "## Totalen" in (a / "compliance.md").read_text()


def test_unknown_scenario_is_a_clear_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "OKE_DB_URL"}
    oke = Path(sys.executable).with_name("oke")
    done = subprocess.run(
        [str(oke), "rehearse", "no-such-scenario", "--out", str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "unknown scenario 'no-such-scenario'" in done.stderr and "tiny" in done.stderr
    assert "Traceback" not in done.stderr


def test_invalid_scenario_names_file_line_and_field(tmp_path):
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "broken.yaml").write_text("seed: 7\ninstitution:\n  students: -3\n")
    done = _rehearse(tmp_path / "out", scenario="broken", scenario_dir=scenarios)
    assert done.returncode == 1
    err = " ".join(done.stderr.split())
    assert "broken.yaml:3" in err and "/institution/students" in err and "minimum" in err
    assert "Traceback" not in done.stderr


def test_an_institution_rehearses_its_own_scenario_file_under_its_own_policy(tmp_path):
    """`oke rehearse PATH.yaml` with `policy: FILE` next to it: the chain follows that policy,
    the planning carries it (so `oke ingest --planning` uses it too), and the files stay the same
    from run to run."""
    own = tmp_path / "roc"
    own.mkdir()
    scenario = (REPO / "scenarios" / "tiny.yaml").read_text(encoding="utf-8")
    (own / "roc-midden.yaml").write_text(
        scenario.replace("seed: 7\n", "seed: 7\npolicy: beleid/roc-midden.yaml\n"), encoding="utf-8"
    )
    preset = (REPO / "scenarios" / "policies" / "eduarte.yaml").read_text(encoding="utf-8")
    assert "\ncomplaint_window_working_days: 10\n" in preset
    (own / "beleid").mkdir()
    policy_text = preset.replace("name: eduarte", "name: roc-midden").replace(
        "\ncomplaint_window_working_days: 10\n", "\ncomplaint_window_working_days: 12\n"
    )
    (own / "beleid" / "roc-midden.yaml").write_text(policy_text, encoding="utf-8")
    mine = str(own / "roc-midden.yaml")
    first, again = (_rehearse(tmp_path / d, scenario=mine, cwd=tmp_path) for d in ("a", "b"))
    assert first.returncode == again.returncode == 0, first.stdout + first.stderr
    assert "Rehearsal roc-midden" in first.stdout and "policy roc-midden" in first.stdout
    a, b = tmp_path / "a", tmp_path / "b"
    for name in [*FILES, "planning/institution.json", "planning/policy.yaml"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "planning" / "policy.yaml").read_text(encoding="utf-8") == policy_text
    assert json.loads((a / "rehearsal.json").read_text())["policy_file"] == "planning/policy.yaml"

    from oke_core.planning import load_planning

    calendar = load_planning(a / "planning").calendar()
    with (a / "results.csv").open(newline="") as fh:
        windows = [r for r in csv.DictReader(fh) if r["complaint_deadline"] and r["provisional_since"]]
    assert windows
    for r in windows:  # the institution's 12 working days, not the preset's 10
        since = date.fromisoformat(r["provisional_since"])
        assert calendar.add(since, 12) == date.fromisoformat(r["complaint_deadline"]), r

    typo = own / "typo.yaml"
    typo.write_text(scenario.replace("seed: 7\n", "seed: 7\npolicy: beleid/typo.yaml\n"), encoding="utf-8")
    refused = _rehearse(tmp_path / "c", scenario=str(typo), cwd=tmp_path)
    assert refused.returncode == 1
    err = " ".join(refused.stderr.split())
    assert f"{typo}:8: /policy: policy-file:" in err and "Traceback" not in refused.stderr
    missing = _rehearse(None, scenario=str(own / "nope.yaml"), cwd=tmp_path)
    assert missing.returncode == 2 and "no such scenario file" in missing.stderr
