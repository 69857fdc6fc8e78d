"""The storage floor of ingest: what SQLite alone costs for the rows an ingest run wrote.

Copies every row of a store made by ``benchmarks/ingest.py`` into an empty store with the same
schema and pragmas, table by table in the order ``Ingestor.flush`` writes them, as many
transactions as the ingest made (one per ``--batch`` messages; the idempotency register in
every transaction that completes ``--inbox-batch`` rows, as ingest), with plain ``sqlite3``
executemany and no Python logic at all. The time per received message is the least any ingest
that keeps these rows can spend on writing them; ``benchmarks/ingest.py``'s figure minus this one
is the cost of parsing, validating and applying.

    .venv/bin/python benchmarks/ingest.py --messages 1000000 --associations 50000 --workdir /tmp/b
    .venv/bin/python benchmarks/write_floor.py /tmp/b/krs.sqlite

Rows are read from the source outside the timed sections. ``result`` rows are inserted once
each, as at the end of a bulk ingest (a checkpoint); the ingest itself may also update some.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oke_core import sqlite_memstats  # noqa: E402
from oke_core.ingest import INBOX_BATCH  # noqa: E402
from oke_core.store.writer import SQLITE_PRAGMAS  # noqa: E402  (as every store connection)

# the order Ingestor.flush writes (store/pending.py), then the small tables
ORDER = (
    "inbox",
    "result_version",
    "result",
    "quarantine",
    "session_report",
    "oke_log",
    "message_body",
    "cut_score",
    "case_file",
)


def main() -> None:
    import sqlite3  # here, not at the top: importing oke_core first sets SQLite up as for ingest

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("store", type=Path, help="a SQLite store written by benchmarks/ingest.py")
    parser.add_argument("--batch", type=int, default=5000, help="messages per transaction, as ingest")
    parser.add_argument(
        "--inbox-batch",
        type=int,
        default=INBOX_BATCH,
        help="register rows written together, as ingest (Ingestor.inbox_batch)",
    )
    args = parser.parse_args()
    src = sqlite3.connect(f"file:{args.store}?mode=ro", uri=True)
    received = src.execute("SELECT count(*) FROM oke_log WHERE kind = 'message'").fetchone()[0]
    if not received:
        raise SystemExit(f"{args.store}: no received messages in oke_log")
    batches = math.ceil(received / args.batch)
    with tempfile.TemporaryDirectory(prefix="oke-floor-") as tmp:
        dst_path = Path(tmp) / "floor.sqlite"
        dst = sqlite3.connect(dst_path, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            dst.execute(pragma)
        schema = src.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type = 'index', rowid"
        ).fetchall()
        for (sql,) in schema:
            dst.execute(sql)
        # planning (participation included) first, untimed: the per-message rows refer to them
        hot = [t for t in ORDER if src.execute(f"SELECT count(*) FROM {t}").fetchone()[0]]
        tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        for (table,) in src.execute(tables).fetchall():
            if table not in ORDER:
                rows = src.execute(f"SELECT * FROM {table}").fetchall()
                if rows:
                    marks = ", ".join("?" * len(rows[0]))
                    dst.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        readers = {}
        per_batch = {}
        inserts = {}
        for table in hot:
            n = src.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            readers[table] = src.execute(f"SELECT * FROM {table} ORDER BY rowid")
            per_batch[table] = math.ceil(n / batches)
            width = len(readers[table].description)
            inserts[table] = f"INSERT INTO {table} VALUES ({', '.join('?' * width)})"
        spent = dict.fromkeys([*hot, "commit"], 0.0)
        counts = dict.fromkeys(hot, 0)
        # the register waits for inbox_batch rows (or the end), as Ingestor.flush does
        every = max(1, args.inbox_batch // args.batch)
        if "inbox" in per_batch:
            per_batch["inbox"] *= every
        for n in range(batches):
            last = n == batches - 1
            due = [t for t in hot if t != "inbox" or (n + 1) % every == 0 or last]
            chunk = {t: readers[t].fetchall() if last else readers[t].fetchmany(per_batch[t]) for t in due}
            dst.execute("BEGIN")
            for table in due:
                rows = chunk[table]
                if rows:
                    t = time.perf_counter()
                    dst.executemany(inserts[table], rows)
                    spent[table] += time.perf_counter() - t
                    counts[table] += len(rows)
            t = time.perf_counter()
            dst.execute("COMMIT")
            spent["commit"] += time.perf_counter() - t
        dst.close()
        size = dst_path.stat().st_size
    total = sum(spent.values())
    print(
        f"machine: {platform.node()} {platform.machine()} cpus={os.cpu_count()} "
        f"python={platform.python_version()} sqlite={sqlite3.sqlite_version}"
    )
    print(sqlite_memstats.describe())
    print(f"store: {args.store}  received messages: {received}  transactions: {batches}")
    for table, s in spent.items():
        rows = counts.get(table)
        per_row = f"{s / rows * 1e6:6.1f} us/row  rows/message {rows / received:4.2f}" if rows else ""
        print(f"  {table:16s} {s / received * 1e6:6.1f} us/message  {per_row}")
    print(
        f"floor: {total:.1f} s = {total / received * 1e6:.1f} us/message "
        f"({received / total:,.0f} messages/s for the writes alone); copy {size / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
