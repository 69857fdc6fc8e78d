"""The whole asset graph materialised once on the simulator's ``tiny`` scenario, on a temporary instance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from assets.checks import ASSET_CHECKS
from assets.definitions import REHEARSAL_ASSETS
from assets.resources import Inbox, KrsDatabase, OutputFolder, ScenarioLibrary

SCENARIO = "tiny"


@dataclass
class Materialised:
    root: Path
    folder: Path
    instance: dg.DagsterInstance
    resources: dict[str, object]
    result: dg.ExecuteInProcessResult


def make_resources(root: Path) -> dict[str, object]:
    return {
        "output": OutputFolder(template=str(root / "{scenario}")),
        "krs_db": KrsDatabase(url=None),
        "scenarios": ScenarioLibrary(),
        "inbox": Inbox(directory=str(root / "inbox"), default_scenario=SCENARIO),
    }


@pytest.fixture(scope="session")
def graph(tmp_path_factory: pytest.TempPathFactory, monkeypatch_session) -> Materialised:
    root = tmp_path_factory.mktemp("rehearsals")
    monkeypatch_session.delenv("OKE_DB_URL", raising=False)
    with dg.instance_for_test(temp_dir=str(tmp_path_factory.mktemp("dagster_home"))) as instance:
        resources = make_resources(root)
        result = dg.materialize(
            [*REHEARSAL_ASSETS, *ASSET_CHECKS],
            partition_key=SCENARIO,
            instance=instance,
            resources=resources,
            raise_on_error=False,
        )
        yield Materialised(root, root / SCENARIO, instance, resources, result)


@pytest.fixture(scope="session")
def monkeypatch_session():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@pytest.fixture(name="make_resources")
def make_resources_fixture():
    """The resource factory, for tests that materialise into their own folder."""
    return make_resources
