#!/usr/bin/env bash
# Set up the project on a fresh machine: a virtualenv in .venv with the package and its dev tools.
# Idempotent and quick when nothing changed (a stamp of pyproject.toml is kept in .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "setup: Python 3.11 or newer is required (found: $("$PY" --version 2>&1))" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.oke-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing the project and its dependencies into .venv (first run takes a few minutes)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  echo "$want" > "$stamp"
fi
# The per-message modules compiled with mypyc (oke_core/compiled.py): rebuilt when a source
# changed; without a C compiler the plain modules run. OKE_COMPILE=0 skips it.
if [ "${OKE_COMPILE:-1}" != 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    PYTHON="$PY" bash scripts/system-deps.sh compiler  # gcc and the Python headers, when missing
  fi
  .venv/bin/python scripts/compile.py || echo "setup: compiling failed (above); the plain Python modules are used" >&2
fi
# Dagster's local instance lives in the repository (telemetry off, see dagster.yaml).
mkdir -p .dagster_home
cp -f dagster.yaml .dagster_home/dagster.yaml
echo "setup: ready (.venv/bin/oke)"
