#!/usr/bin/env bash
# Debian packages the test suite uses: PostgreSQL (store tests) and Chromium (page tests);
# with "compiler", only the C compiler scripts/compile.py needs (called by scripts/setup.sh).
# Installs only what is missing; needs root (CI and the dev machines run as root).
set -euo pipefail
need=()
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
# the headers of a Debian Python (a pyenv or python.org build ships its own)
py=$(command -v "${PYTHON:-python3}" || true)
if [ -n "$py" ] && [ "$(readlink -f "$py" | cut -d/ -f1-3)" = /usr/bin ] &&
  ! "$py" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(sysconfig.get_paths()["include"] + "/Python.h"))'; then
  need+=(python3-dev)
fi
if [ "${1:-}" != compiler ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "system-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
