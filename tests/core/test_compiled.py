"""The mypyc build of the per-message modules: in use when it matches, never when stale, same output.

``scripts/setup.sh`` (and so ``scripts/test.sh``) builds it; these tests fail, with the reason,
when the suite would otherwise compare plain Python with itself.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oke_core import compiled
from oke_core.lifecycle import DATE_FIELDS
from oke_core.store import Store

REPO = Path(__file__).resolve().parents[2]
PROBE = "import oke_core.ingest as m, oke_core.compiled as c; print(c.status().active, m.__file__)"


def _python(code: str, **env: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return run.stdout.strip()


def test_the_test_run_uses_the_compiled_modules() -> None:
    state = compiled.status()
    assert state.active, f"the compiled modules are not in use: {state.reason}"
    assert set(state.modules) == set(compiled.HOT_MODULES)
    import oke_core.ingest

    assert Path(oke_core.ingest.__file__).suffix in (".so", ".pyd")


def test_pure_python_on_request() -> None:
    active, file = _python(PROBE, OKE_PURE_PYTHON="1").split(" ", 1)
    assert active == "False"
    assert file == str(REPO / "oke_core" / "ingest.py")


def test_a_stale_or_foreign_build_is_not_used(tmp_path: Path) -> None:
    stamp = compiled.read_stamp()
    assert stamp is not None
    assert compiled.check_build(stamp)[0]
    assert "sources changed" in compiled.check_build({**stamp, "sources": "0" * 64})[1]
    assert "another Python" in compiled.check_build({**stamp, "interpreter": "cpython-27"})[1]
    assert "not built" in compiled.check_build(None)[1]
    missing = {**stamp, "files": {"oke_core.ingest": "oke_core/gone.cpython-311-x86_64-linux-gnu.so"}}
    assert "incomplete" in compiled.check_build(missing)[1]


def test_any_edit_changes_the_source_digest(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    (package / "sub" / "b.py").write_text("y = 2\n")
    before = compiled.source_digest(package)
    (package / "sub" / "b.py").write_text("y = 3\n")
    assert compiled.source_digest(package) != before
    (package / "sub" / "b.py").write_text("y = 2\n")
    assert compiled.source_digest(package) == before
    (package / "c.py").write_text("")
    assert compiled.source_digest(package) != before


def test_date_fields_match_the_result_record_annotations() -> None:
    """Written out because compiled classes lose their annotations; checked here against the source."""
    tree = ast.parse((REPO / "oke_core" / "lifecycle.py").read_text(encoding="utf-8"))
    record = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ResultRecord")
    dates = {
        item.target.id
        for item in record.body
        if isinstance(item, ast.AnnAssign)
        and isinstance(item.target, ast.Name)
        and ast.unparse(item.annotation) in ("date", "date | None")
    }
    assert dates == DATE_FIELDS


def _rehearse(out: Path, **env: str) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in ("OKE_DB_URL", "OKE_SCENARIO_DIR")}
    oke = Path(sys.executable).with_name("oke")
    run = subprocess.run(
        [str(oke), "rehearse", "vendor-faults", "--out", str(out)],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.timeout(900)
def test_compiled_and_plain_rehearsals_write_identical_files(tmp_path: Path) -> None:
    """Every file the rehearsal writes (pages, logs, reports), and every row of the KRS store."""
    assert compiled.status().active, compiled.status().reason
    runs = {"compiled": tmp_path / "compiled", "plain": tmp_path / "plain"}
    _rehearse(runs["compiled"])
    _rehearse(runs["plain"], OKE_PURE_PYTHON="1")
    files = {k: sorted(p.relative_to(d) for p in d.rglob("*") if p.is_file()) for k, d in runs.items()}
    assert files["compiled"] == files["plain"]
    assert len(files["compiled"]) > 20 and Path("pages") in {f.parent for f in files["compiled"]}
    for name in files["compiled"]:
        if name.name != "krs.sqlite":
            assert (runs["compiled"] / name).read_bytes() == (runs["plain"] / name).read_bytes(), name
    dumps = []
    for directory in runs.values():
        store = Store.open(f"sqlite:///{directory / 'krs.sqlite'}")
        dumps.append(store.dump())
        store.close()
    assert dumps[0] == dumps[1]
    assert dumps[0]["result"] and dumps[0]["oke_log"]
