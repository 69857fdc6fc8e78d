#!/usr/bin/env bash
# Start a throw-away PostgreSQL on loopback for the tests; prints the URL to use.
# Usage: scripts/postgres.sh start DIR PORT | scripts/postgres.sh stop DIR
set -euo pipefail
cmd=$1; dir=$2; port=${3:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/PG_VERSION" ]; then
      run "$bin/initdb" -D "$dir" -U postgres -A trust --no-sync >/dev/null
    fi
    run "$bin/pg_ctl" -D "$dir" -o "-c listen_addresses=127.0.0.1 -p $port -k /tmp -c fsync=off" \
      -l "$dir/server.log" -w start >/dev/null
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    run "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
    ;;
esac
