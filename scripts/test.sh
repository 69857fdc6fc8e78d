#!/usr/bin/env bash
# Set up and run the whole test suite: Python deps, Debian packages (PostgreSQL, Chromium),
# a PostgreSQL server on loopback, ruff, mypy, then pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/system-deps.sh
pgdir=$(mktemp -d /tmp/oke-pg.XXXXXX)
export OKE_TEST_PG_URL
OKE_TEST_PG_URL=$(bash scripts/postgres.sh start "$pgdir" "${OKE_TEST_PG_PORT:-54329}")
trap 'bash scripts/postgres.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
export DAGSTER_HOME="$PWD/.dagster_home"
.venv/bin/ruff check .
.venv/bin/python -m mypy
.venv/bin/python -m pytest "$@"
