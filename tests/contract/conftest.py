"""Shared fixtures of the contract tests: one Contract for the session (it is built to be shared)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT / "conformance"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def contract():
    from oke_core.contract import Contract

    return Contract.load()
