"""Scenario files: every shipped scenario loads; bad ones get file, line, pointer and rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oke_sim.scenario import ScenarioError, list_scenarios, load_scenario

REQUIRED = {
    "variant1-baseline",
    "variant2-supplier",
    "late-cesuur",
    "complaint-wave",
    "vendor-faults",
    "exam-week-peak",
    "eduarte-procedure",
    "large-roc",
    "tiny",
}


def test_all_required_scenarios_exist_and_load() -> None:
    assert set(list_scenarios()) >= REQUIRED
    for name in list_scenarios():
        sc = load_scenario(name)
        assert sc.params["description"].strip(), f"{name} has no description"
        assert sc.params["rehearses"].strip() and sc.params["look_at"].strip(), name
        assert sc.params["policy"] in ("beoordelen", "eduarte")


def test_large_roc_is_large_and_tests_scenario_is_tiny() -> None:
    assert load_scenario("large-roc").params["institution"]["students"] == 20000
    assert load_scenario("tiny").params["institution"]["students"] <= 40
    assert load_scenario("eduarte-procedure").params["policy"] == "eduarte"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def test_typo_in_a_key_names_line_pointer_and_rule(tmp_path: Path) -> None:
    path = _write(tmp_path, "seed: 1\nattendance:\n  present: 0.9\n  notPresnt: 0.1\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:4: /attendance/notPresnt: unknown-field:")
    assert "notPresent" in problem  # the allowed names are listed


def test_wrong_type_points_at_the_value_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "seed: 1\ninstitution:\n  colleges: 2\n  students: many\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:4: /institution/students: type:")


def test_probabilities_that_do_not_add_up(tmp_path: Path) -> None:
    path = _write(tmp_path, "attendance:\n  present: 0.5\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:1: /attendance: sum-to-one:")


def test_reference_to_unknown_test_system_and_period(tmp_path: Path) -> None:
    text = (
        load_scenario("tiny").path.read_text(encoding="utf-8").replace("test_system: cem", "test_system: cme")
    )
    text = text.replace(
        "periods: [P1]\n    take_share: 1.0\n    versions: 1\n    max_raw_score: [30, 40]",
        "periods: [P9]\n    take_share: 1.0\n    versions: 1\n    max_raw_score: [30, 40]",
    )
    path = _write(tmp_path, text)
    problems = _problems(path)
    assert any("/components/2/test_system: reference: no test system 'cme'" in p for p in problems)
    assert any("/components/2/periods/0: reference: no period 'P9'" in p for p in problems)
    assert all(p.startswith(f"{path}:") for p in problems)


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "seed: 1\ninstitution: {colleges: 2\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:") and "yaml-syntax" in problem


def test_unknown_scenario_name_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("no-such-scenario")
    assert "variant1-baseline" in str(info.value)


@settings(max_examples=40, deadline=None)
@given(
    key=st.sampled_from(["late_share", "deadline_working_days", "hours"]),
    value=st.one_of(st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=5), st.none()),
)
def test_any_bad_marking_value_is_a_clear_error_not_a_crash(
    tmp_path_factory: pytest.TempPathFactory, key: str, value: object
) -> None:
    import yaml

    path = tmp_path_factory.mktemp("h") / "s.yaml"
    path.write_text(yaml.safe_dump({"marking": {key: value}}), encoding="utf-8")
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert exc.problems
        assert all(p.startswith(f"{path}:") and "/marking" in p for p in exc.problems), exc.problems


def test_a_policy_is_a_preset_or_a_file_next_to_the_scenario(tmp_path: Path) -> None:
    assert load_scenario("tiny").policy_file is None  # a preset
    (tmp_path / "beleid").mkdir()
    (tmp_path / "beleid" / "eigen.yaml").write_text("name: eigen\n", encoding="utf-8")
    own = _write(tmp_path, "seed: 1\npolicy: beleid/eigen.yaml\n")
    assert load_scenario(own).policy_file == tmp_path / "beleid" / "eigen.yaml"
    typo = _write(tmp_path, "seed: 1\npolicy: beleid/eigne.yaml\n")
    [problem] = _problems(typo)
    assert problem.startswith(f"{typo}:2: /policy: policy-file: 'beleid/eigne.yaml' is not a preset")
    assert str(tmp_path / "beleid" / "eigne.yaml") in problem
