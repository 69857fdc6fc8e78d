"""The per-message modules compiled to C with mypyc, used only while they match the sources.

Ingest's time is spread thin over tuned dict-and-attribute Python (docs/core.md, Speed); mypyc
turns the typed modules a message runs through into C extension modules, which ran the
one-process benchmark 15-25 % faster with the same counts. ``scripts/compile.py`` (run by
``scripts/setup.sh``) writes them to ``oke_core/_compiled/`` with a stamp: the hash of every
``oke_core`` source and the interpreter they were built for. At import the stamp is compared:
after any edit, on another Python, or with ``OKE_PURE_PYTHON=1`` the plain modules run, so a
stale build is never used. Both run the same source and give the same store (a test compares
them byte for byte).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent
BUILD_DIR = PACKAGE_DIR / "_compiled"
STAMP_NAME = "stamp.json"
PURE_ENV = "OKE_PURE_PYTHON"

# What a message runs through on its way into the store (ingest, contract, apply, log, write
# buffers); the rest runs once per run or per request and gains nothing from compiling.
HOT_MODULES = (
    "oke_core.ingest",
    "oke_core.apply",
    "oke_core.lifecycle",
    "oke_core.okelog",
    "oke_core.quarantine",
    "oke_core.calendar",
    "oke_core.contract.contract",
    "oke_core.contract.rules",
    "oke_core.contract.flows",
    "oke_core.store.pending",
    "oke_core.store.batch",
)


@dataclass(frozen=True)
class Status:
    """Whether the compiled modules are in use, and why (shown by the benchmark and the tests)."""

    active: bool
    reason: str
    modules: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.active:
            return f"compiled with mypyc ({len(self.modules)} modules)"
        return f"plain Python ({self.reason})"


def interpreter_tag() -> str:
    """Extension modules only load into the interpreter build they were compiled for."""
    return f"{sys.implementation.cache_tag}-{sysconfig.get_config_var('SOABI') or ''}-{sys.version}"


def source_digest(package_dir: Path = PACKAGE_DIR) -> str:
    """SHA-256 over every source of the package: compiled code also relies on the modules it calls."""
    digest = hashlib.sha256()
    for path in sorted(package_dir.rglob("*.py")):
        if BUILD_DIR.name in path.relative_to(package_dir).parts:
            continue
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def module_source(name: str, package_dir: Path = PACKAGE_DIR) -> Path:
    return package_dir.joinpath(*name.split(".")[1:]).with_suffix(".py")


class _CompiledFinder:
    """Finds the compiled modules before the path finder finds their sources."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        file = self.files.get(fullname)
        if file is None:
            return None
        return importlib.util.spec_from_file_location(
            fullname, file, loader=ExtensionFileLoader(fullname, str(file))
        )


_status: Status | None = None


def read_stamp(build_dir: Path = BUILD_DIR) -> dict[str, object] | None:
    try:
        stamp = json.loads((build_dir / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def check_build(stamp: dict[str, object] | None) -> tuple[dict[str, Path], str]:
    """The build's files by module name when it can be used, else no files and the reason why."""
    if stamp is None:
        return {}, "not built: run bash scripts/setup.sh"
    if stamp.get("interpreter") != interpreter_tag():
        return {}, "built for another Python: run bash scripts/setup.sh"
    if stamp.get("sources") != source_digest():
        return {}, "the sources changed since the build: run bash scripts/setup.sh"
    files = stamp.get("files")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        return {}, "the build's stamp is damaged: run bash scripts/setup.sh"
    paths = {str(name): BUILD_DIR / str(file) for name, file in files.items()}
    if not all(p.is_file() and p.name.endswith(tuple(EXTENSION_SUFFIXES)) for p in paths.values()):
        return {}, "the build is incomplete: run bash scripts/setup.sh"
    return paths, ""


def install() -> Status:
    """Put the compiled modules in front of their sources when they match them; once per process."""
    global _status
    if _status is not None:
        return _status
    if os.environ.get(PURE_ENV, "").strip() not in ("", "0"):
        _status = Status(False, f"{PURE_ENV} is set")
        return _status
    files, reason = check_build(read_stamp())
    if not files:
        _status = Status(False, reason)
        return _status
    sys.meta_path.insert(0, _CompiledFinder(files))
    _status = Status(True, "", tuple(name for name in files if name in HOT_MODULES))
    return _status


def status() -> Status:
    return install()
