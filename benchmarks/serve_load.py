"""Load test of `oke serve` on loopback: valid flow-3 PATCH requests from many connections at once.

Writes a synthetic planning (one deelname per request), starts `oke serve` as a subprocess on a free
port with a fresh SQLite (or --db) store, fires the requests from N keep-alive connections (a
minimal asyncio HTTP/1.1 client, so the load generator costs little of the shared CPU), then
counts the rows in the store: every request must be one result version, none lost, none doubled.

    .venv/bin/python benchmarks/serve_load.py --requests 20000 --connections 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _uuid(n: int, kind: int) -> str:
    return str(uuid.UUID(int=(kind << 64) | n, version=4))


def write_planning(folder: Path, n: int) -> list[str]:
    """A tiny institution with one zitting per 1,000 students and one deelname per request."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "institution.json").write_text(
        json.dumps(
            {
                "institution_id": _uuid(1, 9),
                "name": "Benchmark College",
                "brin": "00XX",
                "policy": "beoordelen",
                "colleges": [{"code": "C1", "name": "Techniek", "location": "Utrecht"}],
                "closure_days": [],
                "year_start": "2026-08-01",
                "year_end": "2027-07-31",
            },
            sort_keys=True,
        )
        + "\n"
    )
    (folder / "programmes.jsonl").write_text(
        json.dumps({"crebo": "25000", "name": "Bench", "level": 4, "pathway": "BOL", "college_code": "C1"})
        + "\n"
    )
    component = _uuid(1, 2)
    version = _uuid(1, 3)
    (folder / "components.jsonl").write_text(
        json.dumps(
            {
                "component_id": component,
                "code": "NED-2F-LEZ",
                "name": "Nederlands lezen 2F",
                "college_code": "C1",
                "result_value_type": "0-100",
                "pass_from": "55",
                "variant": 1,
                "supplier": "intern",
                "cut_score": False,
                "assessor_required": False,
                "versions": [{"exam_version_id": version, "code": "V1", "max_raw_score": 40}],
            }
        )
        + "\n"
    )
    (folder / "assessors.jsonl").write_text(
        json.dumps(
            {"assessor_id": _uuid(1, 4), "assessor_code": "JDV", "name": "J. de Vries", "college_code": "C1"}
        )
        + "\n"
    )
    offerings = max(1, -(-n // 1000))
    with (folder / "offerings.jsonl").open("w") as fh:
        for o in range(offerings):
            fh.write(
                json.dumps(
                    {
                        "offering_id": _uuid(o, 5),
                        "component_id": component,
                        "exam_version_id": version,
                        "name": f"Zitting {o}",
                        "start": "2026-09-14T09:00:00Z",
                        "end": "2026-09-14T11:00:00Z",
                        "location_code": "A1",
                        "capacity": 1000,
                        "period": "P1",
                        "state": "active",
                    }
                )
                + "\n"
            )
    ids = []
    with (folder / "students.jsonl").open("w") as st, (folder / "associations.jsonl").open("w") as asc:
        for i in range(n):
            sid, aid = _uuid(i, 6), _uuid(i, 7)
            st.write(
                json.dumps(
                    {
                        "student_id": sid,
                        "student_number": f"{100000 + i}",
                        "given_name": "Sam",
                        "tussenvoegsel": "",
                        "family_name": f"Student{i}",
                        "email": f"s{i}@example.nl",
                        "crebo": "25000",
                        "cohort": "2026-2027",
                        "college_code": "C1",
                    }
                )
                + "\n"
            )
            asc.write(
                json.dumps(
                    {
                        "association_id": aid,
                        "offering_id": _uuid(i // 1000, 5),
                        "student_id": sid,
                        "attempt": 1,
                        "original_association_id": None,
                        "state": "associated",
                    }
                )
                + "\n"
            )
            ids.append(aid)
    return ids


def body(i: int) -> bytes:
    raw = 10 + i % 30
    return json.dumps(
        {
            "associationType": "componentOfferingAssociation",
            "result": {
                "state": "completed",
                "pass": "unknown",
                "score": str(round(raw * 100 / 40)),
                "resultDate": "2026-09-16",
                "weight": 100,
                "consumers": [
                    {
                        "consumerKey": "nl-test-admin",
                        "attendance": "present",
                        "rawScore": raw,
                        "maxRawScore": 40,
                        "final": False,
                        "testDate": "2026-09-14T10:45:00Z",
                    }
                ],
            },
        }
    ).encode()


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """User + system CPU of a process, and of its children (the ingest process), from Linux /proc."""
    pids = {pid}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                pids.add(int(entry.name))
    own = children = 0
    for p in pids:
        fields = _stat(p)
        if fields is not None:
            ticks = int(fields[11]) + int(fields[12])
            own, children = (own + ticks, children) if p == pid else (own, children + ticks)
    tick = os.sysconf("SC_CLK_TCK")
    return own / tick, children / tick


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _client(
    port: int, token: str, jobs: list[tuple[str, bytes]], latencies: list[float], statuses: dict
):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for path, payload in jobs:
            head = (
                f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/merge-patch+json\r\nContent-Length: {len(payload)}\r\n\r\n"
            ).encode()
            t0 = time.perf_counter()
            writer.write(head + payload)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            code = int(status_line.split()[1])
            statuses[code] = statuses.get(code, 0) + 1
    finally:
        writer.close()


async def fire(port: int, token: str, ids: list[str], connections: int) -> tuple[float, list[float], dict]:
    jobs = [(f"/associations/{aid}", body(i)) for i, aid in enumerate(ids)]
    shards = [jobs[c::connections] for c in range(connections)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    t0 = time.perf_counter()
    await asyncio.gather(*(_client(port, token, shard, latencies, statuses) for shard in shards if shard))
    return time.perf_counter() - t0, latencies, statuses


def count_rows(db_url: str) -> dict[str, int]:
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select

    from oke_core import requestlog
    from oke_core.store import Store, models

    store = Store.open(db_url, create=False)
    try:
        with store.engine.connect() as conn:
            log_rows = conn.execute(
                select(func.count()).select_from(requestlog.TABLE).where(requestlog.TABLE.c.method == "PATCH")
            ).scalar_one()
        return {
            "result_versions": store.count(models.ResultVersion),
            "results": store.count(models.Result),
            "quarantined": store.count(models.QuarantineItem),
            "request_log_patch": int(log_rows),
        }
    finally:
        store.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--db", default=None, help="store URL (default: a fresh SQLite file)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()

    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    work = Path(tempfile.mkdtemp(prefix="oke-serve-load-"))
    db = args.db or f"sqlite:///{work / 'krs.sqlite'}"
    ids = write_planning(work / "planning", args.requests)
    port = free_port()
    cmd = [
        str(ROOT / ".venv/bin/oke"),
        "serve",
        "--port",
        str(port),
        "--db",
        db,
        "--planning",
        str(work / "planning"),
    ]
    t_start = time.perf_counter()
    log_file = (work / "serve.log").open("wb")
    proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=log_file)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5) as http:
            while True:
                try:
                    if http.get("/").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.perf_counter() - t_start > 120:
                    sys.stderr.write((work / "serve.log").read_text())
                    return 2
                time.sleep(0.1)
            startup = time.perf_counter() - t_start
            token = http.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=("dev-client", "dev-secret")
            ).json()["access_token"]
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        cpu0 = _cpu_seconds(proc.pid)
        own0 = time.process_time()
        elapsed, latencies, statuses = asyncio.run(fire(port, token, ids, args.connections))
        cpu1 = _cpu_seconds(proc.pid)
        http_cpu, ingest_cpu = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
        client_cpu = time.process_time() - own0
    finally:
        proc.terminate()
        proc.wait(60)
        log_file.close()
    counts = count_rows(db)
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    ok = statuses.get(200, 0)
    lost = args.requests - counts["result_versions"]
    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cpu, Python {platform.python_version()}, "
        f"load average before {load_before}",
        "store": "PostgreSQL" if db.startswith("postgresql") else "SQLite (WAL)",
        "requests": args.requests,
        "connections": args.connections,
        "server_start_s": round(startup, 2),
        "elapsed_s": round(elapsed, 3),
        "requests_per_s": round(args.requests / elapsed, 1),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 2),
        "latency_ms_p99": round(p(0.99), 2),
        "latency_ms_max": round(latencies[-1] * 1000, 2),
        "cpu_ms_per_request": {
            "http_process": round(http_cpu * 1000 / args.requests, 3),
            "ingest_process": round(ingest_cpu * 1000 / args.requests, 3),
            "load_generator": round(client_cpu * 1000 / args.requests, 3),
        },
        # What that CPU cost allows on cores not shared with other work: each process uses one core,
        # so the busier of the two sets the pace (when there are cores enough for both).
        "capacity_rps_if_cores_free": round(args.requests / max(http_cpu, ingest_cpu, 1e-9)),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "store_counts": counts,
        "lost": lost,
        "doubled": max(0, counts["result_versions"] - ok),
    }
    print(json.dumps(figures, indent=2, sort_keys=True))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if lost == 0 and ok == args.requests else 1


if __name__ == "__main__":
    raise SystemExit(main())
