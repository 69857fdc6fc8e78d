"""A real rehearsal of the simulator's ``tiny`` scenario, replayed into a real SQLite store (once)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from oke_core.policy import Policy, load_policy
from oke_core.replay import replay
from oke_core.store import Store
from oke_sim.simulation import simulate

TINY = Path(__file__).resolve().parents[2] / "scenarios" / "tiny.yaml"


@dataclass
class Rehearsal:
    folder: Path
    store: Store
    policy: Policy
    start: date
    until: date


def build(folder: Path, scenario: str = "tiny", policy_name: str | None = None) -> Rehearsal:
    """Simulate and replay; ``policy_name`` overrides the institution's policy."""
    done = simulate(scenario, out_dir=folder)
    until = date.fromisoformat(done.simulated_until)
    institution = json.loads((folder / "planning" / "institution.json").read_text(encoding="utf-8"))
    policy = load_policy(policy_name or institution["policy"])
    store = Store.open(f"sqlite:///{folder / 'krs.sqlite'}")
    replay(store, folder, policy, until=until)
    return Rehearsal(folder, store, policy, date(2026, 10, 26), until)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Rehearsal:
    reh = build(tmp_path_factory.mktemp("tiny") / "tiny")
    yield reh
    reh.store.close()


@pytest.fixture(scope="session")
def tiny_eduarte(tmp_path_factory: pytest.TempPathFactory) -> Rehearsal:
    """The tiny year under the Eduarte policy: complaint window, notifications, fixed establishment."""
    root = tmp_path_factory.mktemp("tiny-eduarte")
    scenario = root / "tiny-eduarte.yaml"
    scenario.write_text(TINY.read_text(encoding="utf-8") + "\npolicy: eduarte\n", encoding="utf-8")
    reh = build(root / "tiny-eduarte", scenario=str(scenario))
    yield reh
    reh.store.close()


@pytest.fixture()
def tampered(tiny: Rehearsal, tmp_path: Path) -> Rehearsal:
    """A private copy of the tiny rehearsal whose store a test may damage."""
    tiny.store.engine.dispose()
    copy = tmp_path / "tiny"
    shutil.copytree(tiny.folder, copy)
    store = Store.open(f"sqlite:///{copy / 'krs.sqlite'}")
    yield Rehearsal(copy, store, tiny.policy, tiny.start, tiny.until)
    store.close()
