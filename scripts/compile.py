"""Compile oke_core's per-message modules with mypyc into oke_core/_compiled/ (see oke_core/compiled.py).

    .venv/bin/python scripts/compile.py            # builds when the sources changed, else says so
    .venv/bin/python scripts/compile.py --force    # builds anyway
    .venv/bin/python scripts/compile.py --remove   # back to plain Python

Run by scripts/setup.sh. Without a C compiler or the Python headers it says so and leaves the
plain modules in use (exit 0): the project works the same, ingest is slower.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ["OKE_PURE_PYTHON"] = "1"  # this process reads the sources, never an older build
sys.path.insert(0, str(ROOT))

from oke_core import compiled  # noqa: E402


def _missing_toolchain() -> str | None:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None and shutil.which("cc") is None:
        return f"no C compiler ({compiler})"
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not include.is_file():
        return f"no Python headers ({include})"
    return None


def build(force: bool) -> int:
    if not force and compiled.check_build(compiled.read_stamp())[0]:  # the test the loader applies
        print("compile: up to date (oke_core/_compiled)")
        return 0
    want = {"interpreter": compiled.interpreter_tag(), "sources": compiled.source_digest()}
    missing = _missing_toolchain()
    if missing:
        print(f"compile: skipped, {missing}; the plain Python modules are used (ingest is slower)")
        return 0
    from mypyc.build import mypycify
    from setuptools import setup

    warnings.filterwarnings("ignore", module="setuptools")  # it reads pyproject.toml's [tool.setuptools]

    started = time.perf_counter()
    sources = [str(compiled.module_source(name).relative_to(ROOT)) for name in compiled.HOT_MODULES]
    with tempfile.TemporaryDirectory(prefix="oke-mypyc-") as tmp:
        lib = Path(tmp) / "lib"
        cwd = Path.cwd()
        os.chdir(ROOT)  # mypyc names the modules after their paths
        try:
            extensions = mypycify(sources, opt_level="3", target_dir=str(Path(tmp) / "c"))
            setup(
                name="oke-compiled",
                ext_modules=extensions,
                script_args=["--quiet", "build_ext", "--build-lib", str(lib), "--build-temp", f"{tmp}/t"],
            )
        finally:
            os.chdir(cwd)
        files: dict[str, str] = {}
        for path in sorted(lib.rglob("*.so")) + sorted(lib.rglob("*.pyd")):
            relative = path.relative_to(lib)
            name = ".".join((*relative.parts[:-1], relative.name.split(".")[0]))
            files[name] = relative.as_posix()
        if not set(compiled.HOT_MODULES) <= set(files):
            lacking = sorted(set(compiled.HOT_MODULES) - set(files))
            print(f"compile: the build lacks {lacking}", file=sys.stderr)
            return 1
        staged = compiled.BUILD_DIR.with_name(compiled.BUILD_DIR.name + ".new")
        shutil.rmtree(staged, ignore_errors=True)
        shutil.copytree(lib, staged)
        (staged / compiled.STAMP_NAME).write_text(
            json.dumps({**want, "files": files, "mypy": _mypy_version()}, indent=2) + "\n", encoding="utf-8"
        )
        shutil.rmtree(compiled.BUILD_DIR, ignore_errors=True)
        staged.rename(compiled.BUILD_DIR)
    took = time.perf_counter() - started
    print(f"compile: {len(compiled.HOT_MODULES)} modules compiled with mypyc in {took:.0f} s")
    return 0


def _mypy_version() -> str:
    from mypy.version import __version__

    return __version__


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="build even when up to date")
    parser.add_argument("--remove", action="store_true", help="delete the build: plain Python from now on")
    args = parser.parse_args()
    if args.remove:
        shutil.rmtree(compiled.BUILD_DIR, ignore_errors=True)
        print("compile: removed oke_core/_compiled; the plain Python modules are used")
        return 0
    return build(args.force)


if __name__ == "__main__":
    sys.exit(main())
