"""Benchmark: messages per second through the contract, end to end (read, parse, validate).

Writes a JSONL stream of N valid envelopes (flows 3, 4 and 5, attendance and scored shapes;
deterministic), then times `read_file` + `check_message`, the code path of `oke validate`,
on one core, in CPU time (time.process_time), best of --repeat passes. A second, smaller run
times invalid messages (the readable slow path). The load average is printed with the figures:
on a shared machine CPU times rise with it.

    .venv/bin/python benchmarks/validate.py [--count 100000] [--invalid 2000]
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "conformance"))

from generate import FLOW5_ATTENDANCE, FLOW5_SCORED, SCORED, SESSION_REPORT  # noqa: E402

from oke_core.contract import Contract  # noqa: E402
from oke_core.contract.runner import check_message  # noqa: E402
from oke_core.contract.sources import read_file  # noqa: E402


def _attendance(rng: random.Random) -> dict:
    return {
        "associationType": "componentOfferingAssociation",
        "result": {
            "state": "in progress",
            "resultDate": f"2026-09-{rng.randint(10, 28)}",
            "consumers": [
                {
                    "consumerKey": "nl-test-admin",
                    "attendance": rng.choice(["present", "notPresent", "notStarted"]),
                }
            ],
        },
    }


def make_stream(path: Path, count: int, invalid: bool = False) -> None:
    rng = random.Random(20260914)
    with path.open("wb") as out:
        for n in range(count):
            uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            kind = n % 10
            if kind < 4:
                method, route, body = "PATCH", f"/associations/{uid}", _attendance(rng)
            elif kind < 7:
                method, route, body = "PATCH", f"/associations/{uid}", copy.deepcopy(SCORED)
                raw = rng.randint(0, 40)
                body["result"]["consumers"][0]["rawScore"] = raw
                body["result"]["score"] = f"{1 + 9 * raw / 40:.1f}"
            elif kind == 7:
                method, route, body = "PATCH", f"/offerings/{uid}", SESSION_REPORT
            else:
                method, route = "PATCH", f"/associations/{uid}"
                body = FLOW5_SCORED if kind == 8 else FLOW5_ATTENDANCE
            if invalid:
                body = copy.deepcopy(body)
                body.pop("associationType", None) if kind != 7 else body.pop("offeringType")
            envelope = {
                "message_id": f"m-{n:08d}",
                "sent_at": "2026-09-14T10:00:00Z",
                "method": method,
                "path": route,
                "body": body,
            }
            out.write(orjson.dumps(envelope, option=orjson.OPT_SORT_KEYS) + b"\n")


def run(contract: Contract, path: Path) -> tuple[int, int, float, float]:
    """Returns (messages, invalid, wall seconds, CPU seconds of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    messages = invalid = 0
    for message in read_file(path):
        messages += 1
        if not check_message(contract, message)[1].valid:
            invalid += 1
    return messages, invalid, time.perf_counter() - wall, time.process_time() - cpu


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}; {os.cpu_count()} logical cores; Python {platform.python_version()}; {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--invalid", type=int, default=2_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed passes over the valid stream; the best counts"
    )
    args = parser.parse_args()
    contract = Contract.load()
    with tempfile.TemporaryDirectory() as tmp:
        valid_path, invalid_path = Path(tmp) / "valid.jsonl", Path(tmp) / "invalid.jsonl"
        make_stream(valid_path, args.count)
        make_stream(invalid_path, args.invalid, invalid=True)
        size = valid_path.stat().st_size
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
        best = min((run(contract, valid_path) for _ in range(args.repeat)), key=lambda r: r[3])
        n, bad, wall, cpu = best
        assert bad == 0, f"{bad} generated messages were invalid"
        print(
            f"valid:   {n} messages ({size / n:.0f} bytes each): {n / cpu:,.0f} msg/s on one core "
            f"({cpu / n * 1e6:.1f} us CPU/msg; wall {wall:.2f} s = {n / wall:,.0f} msg/s; "
            f"best of {args.repeat})"
        )
        n, bad, wall, cpu = run(contract, invalid_path)
        assert bad == n
        print(
            f"invalid: {n} messages: {n / cpu:,.0f} msg/s on one core ({cpu / n * 1e6:.0f} us CPU/msg, "
            f"full jsonschema explanations)"
        )
        print(f"load average {os.getloadavg()[0]:.2f} at the end (2 cores shared: CPU times vary with it)")


if __name__ == "__main__":
    main()
