"""Schemathesis against the served /openapi.json on loopback: no input may cause a server error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from http_support import ASSOCIATIONS, OFFERING

from oke_core.store import models

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_no_server_error_for_generated_requests(server, tmp_path):
    # Known ids, so that generated bodies reach the ingest path instead of stopping at 404.
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[[operations]]\n"
        'include-path-regex = "^/associations/"\n'
        f'parameters = {{ associationId = "{ASSOCIATIONS[0]}" }}\n\n'
        "[[operations]]\n"
        'include-path-regex = "^/offerings/"\n'
        f'parameters = {{ offeringId = "{OFFERING}" }}\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{server.url}/openapi.json",
            "-H",
            f"Authorization: Bearer {server.token()}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "15",
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-deterministic",
            "--no-color",
        ],
        capture_output=True,
        cwd=tmp_path,  # schemathesis keeps its example database in the working directory
        text=True,
        timeout=400,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "passed" in result.stdout
    # the generated traffic really reached the store (not only 401/404 at the door)
    assert server.store.count(models.InboxEntry) > 0
