"""Dagster resources: where a rehearsal keeps its KRS database and its output files.

Both are plain configuration (paths, a URL), so the UI, the sensor and `oke rehearse` can point
the same asset definitions at different places.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

if TYPE_CHECKING:
    from oke_core.store import Store

REPO_ROOT = Path(__file__).resolve().parents[1]


class OutputFolder(dg.ConfigurableResource):
    """The folder of one rehearsal's files; ``{scenario}`` in the template is the partition key."""

    template: str = Field(
        default="out/{scenario}",
        description="Folder per rehearsal; '{scenario}' is replaced by the scenario partition key.",
    )

    def for_scenario(self, scenario: str) -> Path:
        path = Path(self.template.replace("{scenario}", scenario))
        path.mkdir(parents=True, exist_ok=True)
        return path


class KrsDatabase(dg.ConfigurableResource):
    """The KRS store: krs.sqlite in the rehearsal folder unless ``url`` (or OKE_DB_URL) is set.

    On a server database each scenario gets its own schema, so rehearsals live side by side.
    """

    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the KRS database (e.g. PostgreSQL); "
        "empty = krs.sqlite in the output folder.",
    )

    def _server_url(self) -> str:
        return self.url or os.environ.get("OKE_DB_URL") or ""

    def describe(self, folder: Path) -> str:
        """Where the store lives, for people (no password)."""
        url = self._server_url()
        if not url:
            return str(folder / "krs.sqlite")
        return url.split("@")[-1]

    def resolved_url(self, folder: Path) -> str:
        """The database URL; prefer ``open``, which also selects the scenario's schema on a server."""
        return self._server_url() or f"sqlite:///{(folder / 'krs.sqlite').as_posix()}"

    def open(self, folder: Path, scenario: str, *, fresh: bool = False) -> Store:
        """Open the scenario's store; ``fresh`` starts from an empty database (reruns are identical)."""
        from oke_core.store import Store

        url = self._server_url()
        if not url:
            db = folder / "krs.sqlite"
            if fresh:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(str(db) + suffix).unlink(missing_ok=True)
            elif not db.is_file():
                raise FileNotFoundError(
                    f"{db}: no KRS database yet; materialise 'krs_state' for {scenario!r} first"
                )
            return Store.open(f"sqlite:///{db.as_posix()}")
        schema = "oke_" + re.sub(r"[^a-z0-9_]", "_", scenario.lower())
        store = Store.open(url, schema=schema)
        if fresh:
            store.drop_all()
            store.close()
            store = Store.open(url, schema=schema)
        return store


class ScenarioLibrary(dg.ConfigurableResource):
    """Where scenario YAML files live (the partition keys are their names)."""

    directory: str = Field(
        default=str(REPO_ROOT / "scenarios"),
        description="Folder with <scenario>.yaml files.",
    )

    def path(self, scenario: str) -> Path:
        return Path(self.directory) / f"{scenario}.yaml"


class Inbox(dg.ConfigurableResource):
    """The folder a vendor drops flow-3 message files into (``inbox/<scenario>/*.jsonl``)."""

    directory: str = Field(default="inbox", description="Watched folder for vendor .jsonl files.")
    default_scenario: str = Field(
        default="variant1-baseline",
        description="Rehearsal that receives files dropped directly in the inbox (not in a sub-folder).",
    )


def default_resources() -> dict[str, object]:
    """Resources for `dagster dev`: everything relative to the working directory."""
    return {
        "output": OutputFolder(template=os.environ.get("OKE_OUT_TEMPLATE", "out/{scenario}")),
        "krs_db": KrsDatabase(url=os.environ.get("OKE_DB_URL") or None),
        "scenarios": ScenarioLibrary(
            directory=os.environ.get("OKE_SCENARIO_DIR", str(REPO_ROOT / "scenarios"))
        ),
        "inbox": Inbox(directory=os.environ.get("OKE_INBOX", "inbox")),
    }
