"""Benchmark: messages generated per second and peak memory for a scenario (default `large-roc`).

Run: .venv/bin/python benchmarks/simulate.py [SCENARIO] [--until YYYY-MM-DD]
Prints the machine, the wall time, messages/s (all and flow 3) and the peak resident memory.
Memory is also sampled at the end of each simulated month to show it stays flat as the year grows.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oke_sim.scenario import load_scenario  # noqa: E402
from oke_sim.simulation import simulate  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="large-roc")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--until", default=None, help="stop the simulation at this date (to compare run lengths)")
    args = ap.parse_args()
    sc = load_scenario(args.scenario)
    if args.until:
        sc.params["calendar"]["simulate_until"] = args.until
    monthly: list[tuple[int, float]] = []

    def progress(day: int, total: int) -> None:
        if day % 30 == 0:
            monthly.append((day, rss_mb()))

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / sc.name
        start = time.perf_counter()
        cpu0 = time.process_time()
        summary = simulate(sc, out, progress=progress)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu0
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"scenario: {sc.name} seed {summary.seed}, simulated until {summary.simulated_until}")
    print(f"students {summary.students}, sessions {summary.offerings}, participations {summary.associations}")
    print(
        f"messages {summary.messages} (flow 3: {summary.flow3}, flow 4: {summary.flow4}), "
        f"events {summary.events}, output {size / 2**20:.1f} MiB"
    )
    print(f"wall {wall:.2f} s, cpu {cpu:.2f} s (single process, one core)")
    print(
        f"messages/s (all, wall): {summary.messages / wall:,.0f}; "
        f"flow-3 messages/s (cpu): {summary.flow3 / cpu:,.0f}"
    )
    print(
        f"peak RSS {peak:.0f} MiB; RSS by simulated month: " + ", ".join(f"d{d}:{m:.0f}" for d, m in monthly)
    )


if __name__ == "__main__":
    main()
