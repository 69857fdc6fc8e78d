"""Ingest throughput: N generated flow-3/4 envelopes into a fresh SQLite store, end to end.

End to end = read the JSONL line, parse (orjson), validate (the contract), apply (lifecycle), log
(OKE-log) and write (batched executemany; past 20,000 messages by the background writer process,
``--background-writer off`` keeps every write in this process for comparison). The timed part
ends when every row is committed. Prints messages/s and peak memory (max RSS) with
the machine noted. Peak memory should not grow with N: run with two sizes to see it (it rises
until SQLite's page cache, 64 MiB, is full, then stays flat). Other processes on the machine
show as a gap between elapsed and cpu time; the load average is printed for that reason.

    .venv/bin/python benchmarks/ingest.py --messages 1000000 --associations 50000
    .venv/bin/python benchmarks/ingest.py --messages 1000000 --associations 50000 --background-writer off

The target (issue 3) is for one process on one core: the second command measures that, with the
process pinned to one CPU (``sched_setaffinity``), so that no thread of it can use another.

The per-message modules run compiled with mypyc when ``scripts/setup.sh`` could build them (the
``code:`` line says which); ``OKE_PURE_PYTHON=1`` in front of either command measures the plain
Python modules instead.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oke_core import compiled, sqlite_memstats  # noqa: E402
from oke_core.contract import Contract  # noqa: E402
from oke_core.ingest import BACKGROUND_AFTER, Ingestor  # noqa: E402
from oke_core.planning import load_planning  # noqa: E402
from oke_core.policy import load_policy  # noqa: E402
from oke_core.store import Store  # noqa: E402


def uid(kind: int, n: int) -> str:
    return f"{kind:08x}-0000-4000-8000-{n:012d}"


def write_planning(root: Path, n_assoc: int, n_students: int = 5000, n_offerings: int = 200) -> None:
    root.mkdir(parents=True, exist_ok=True)
    dump = orjson.dumps
    (root / "institution.json").write_bytes(
        dump(
            {
                "institution_id": uid(1, 1),
                "name": "ROC Benchmark",
                "brin": "00XX",
                "policy": "eduarte",
                "closure_days": ["2026-10-19", "2026-10-20"],
                "year_start": "2026-08-01",
                "year_end": "2027-07-31",
            }
        )
    )
    with (root / "students.jsonl").open("wb") as fh:
        for i in range(n_students):
            fh.write(
                dump({"student_id": uid(2, i), "student_number": f"{100000 + i}", "family_name": "Bakker"})
                + b"\n"
            )
    (root / "components.jsonl").write_bytes(
        b"".join(
            dump(
                {
                    "component_id": uid(3, c),
                    "code": f"C{c}",
                    "name": f"Onderdeel {c}",
                    "result_value_type": "0.0-10.0",
                    "pass_from": "5.5",
                    "variant": 1 + c % 2,
                    "cut_score": True,
                    "assessor_required": True,
                    "versions": [{"exam_version_id": uid(4, c), "code": f"V{c}", "max_raw_score": 60}],
                }
            )
            + b"\n"
            for c in range(10)
        )
    )
    base = datetime(2026, 9, 7, 8, tzinfo=UTC)
    with (root / "offerings.jsonl").open("wb") as fh:
        for o in range(n_offerings):
            start = base + timedelta(days=(o * 7) % 180)
            fh.write(
                dump(
                    {
                        "offering_id": uid(5, o),
                        "component_id": uid(3, o % 10),
                        "exam_version_id": uid(4, o % 10),
                        "name": f"Zitting {o}",
                        "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "end": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                )
                + b"\n"
            )
    with (root / "associations.jsonl").open("wb") as fh:
        for a in range(n_assoc):
            fh.write(
                dump(
                    {
                        "association_id": uid(6, a),
                        "offering_id": uid(5, a % n_offerings),
                        "student_id": uid(2, a % n_students),
                        "attempt": 1,
                    }
                )
                + b"\n"
            )


def write_messages(
    path: Path, n: int, n_assoc: int, n_offerings: int = 200, seed: int = 7, ids: str = "uuid"
) -> None:
    """A deterministic mix: attendance, scored, corrections, duplicates and 2 % faulty messages.

    Message ids are random UUIDs by default, as docs/http.md asks of senders; ``ids="sequential"``
    numbers them (as the simulator does), which is kinder to the idempotency register's index.
    """
    rng = random.Random(seed)
    id_rng = random.Random(seed + 1)
    t0 = datetime(2026, 9, 8, 9, tzinfo=UTC)
    last: bytes | None = None
    with path.open("wb") as fh:
        for i in range(n):
            a = rng.randrange(n_assoc)
            o = a % n_offerings
            sent = (t0 + timedelta(seconds=i * 15_552_000 // n)).strftime("%Y-%m-%dT%H:%M:%SZ")
            roll = rng.random()
            if roll < 0.03 and last is not None:
                fh.write(last)
                continue
            consumer = {"consumerKey": "nl-test-admin", "attendance": "present"}
            result: dict = {
                "state": "in progress",
                "resultDate": sent[:10],
                "weight": 100,
                "consumers": [consumer],
            }
            if roll > 0.15:
                raw = rng.randrange(61)
                grade = f"{1 + 9 * raw / 60:.1f}"
                result.update(state="completed", score=grade, **{"pass": "passed" if raw >= 30 else "failed"})
                consumer.update(
                    rawScore=raw,
                    maxRawScore=60,
                    assessorId=uid(9, 1),
                    assessorCode="JDV",
                    final=bool(o % 2 and roll > 0.5),
                )
            body = {
                "associationType": "componentOfferingAssociation",
                "person": uid(2, a % 5000),
                "offering": uid(5, o),
                "result": result,
            }
            envelope: dict = {
                "message_id": str(uuid.UUID(int=id_rng.getrandbits(128), version=4))
                if ids == "uuid"
                else f"m-{i:08d}",
                "sent_at": sent,
                "method": "PATCH",
                "path": f"/associations/{uid(6, a)}",
                "body": body,
            }
            if roll > 0.995:
                envelope["path"] = f"/associations/{uid(7, a)}"  # unknown association
            elif roll > 0.99:
                del envelope["body"]
                envelope["body_text"] = '{"associationType": "componentOfferingAssociation", "result": {'
            last = orjson.dumps(envelope) + b"\n"
            fh.write(last)


def envelopes(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        for line in fh:
            yield orjson.loads(line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--associations", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="kept afterwards (default: a temporary folder, removed)"
    )
    parser.add_argument(
        "--message-ids",
        choices=("uuid", "sequential"),
        default="uuid",
        help="random UUIDs (what senders are asked to use) or m-00000001, m-00000002, ...",
    )
    parser.add_argument(
        "--background-writer",
        choices=("auto", "off"),
        default="auto",
        help="auto (default): writes move to a second process after 20,000 messages; off: all in this one",
    )
    args = parser.parse_args()
    if args.workdir is not None:
        run(args, args.workdir)
        return
    with tempfile.TemporaryDirectory(prefix="oke-bench-") as work:  # about 1.7 GB at a million messages
        run(args, Path(work))


def pin_to_one_cpu() -> str:
    """Hold this process (all its threads) to one CPU, so that "on one core" is enforced, not assumed."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned: this OS cannot pin a process"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to cpu {cpu}"


def run(args: argparse.Namespace, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    write_planning(work / "planning", args.associations)
    msgs = work / "messages.jsonl"
    t = time.perf_counter()
    write_messages(msgs, args.messages, args.associations, ids=args.message_ids)
    gen_s = time.perf_counter() - t
    db = work / "krs.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    contract = Contract.load()
    plan = load_planning(work / "planning")
    store = Store.open(f"sqlite:///{db}")
    ing = Ingestor(
        store,
        plan,
        load_policy("eduarte"),
        contract,
        batch_size=args.batch,
        background_after=None if args.background_writer == "off" else BACKGROUND_AFTER,
    )
    pinned = pin_to_one_cpu() if args.background_writer == "off" else None
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    load_before = os.getloadavg()[0]
    t, cpu = time.perf_counter(), time.process_time()
    counts = ing.receive_many(envelopes(msgs))
    ing.flush()
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert counts.balanced, counts
    print(
        f"machine: {platform.node()} {platform.machine()} {platform.processor() or ''} "
        f"cpus={os.cpu_count()} python={platform.python_version()} {platform.system()}"
    )
    print(f"code: {compiled.status().describe()}; {sqlite_memstats.describe()}")
    kept = "kept" if args.workdir is not None else "removed at the end; --workdir keeps it"
    print(f"workdir: {work} ({kept}; generation {gen_s:.1f} s, not timed)")
    print(f"counts: {orjson.dumps(counts.as_dict(), option=orjson.OPT_SORT_KEYS).decode()}")
    print(
        f"messages: {counts.received}  associations: {args.associations}  batch: {args.batch}  "
        f"message ids: {args.message_ids}  background writer: {args.background_writer}"
    )
    print(
        f"mode: one process on one core, as the target (issue 3) is stated ({pinned})"
        if args.background_writer == "off"
        else "mode: writes in a second process, lookups on a thread (not one process on one core: "
        "--background-writer off measures that)"
    )
    print(
        f"elapsed: {elapsed:.1f} s  throughput: {counts.received / elapsed:,.0f} messages/s "
        f"({elapsed / counts.received * 1e6:.1f} us/message)"
    )
    print(
        f"cpu time: {cpu:.1f} s  per cpu-second: {counts.received / cpu:,.0f} messages/s  "
        f"(load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
        f"on {os.cpu_count()} cpus)"
    )
    store.close()  # checkpoints the WAL into the file: before that, a small run's rows are all in the WAL
    print(
        f"peak RSS: {rss_peak / 1024:.0f} MiB (before ingest {rss_before / 1024:.0f} MiB)  "
        f"store: {db.stat().st_size / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
