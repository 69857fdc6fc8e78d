"""Headless rehearsal timings: each asset stage of `oke rehearse`, then the report-data functions alone.

    .venv/bin/python benchmarks/rehearse.py variant1-baseline
    .venv/bin/python benchmarks/rehearse.py large-roc --out /tmp/large   # several minutes

Prints seconds per stage, the report functions' times on the replayed store, peak memory (max RSS)
and the machine. Not a test: numbers vary with the machine and its load.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="variant1-baseline")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder, kept (default: a temporary one, removed at the end)",
    )
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if args.out is not None:
        run(args, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="oke-bench-") as tmp:
        run(args, Path(tmp) / args.scenario)


def run(args: argparse.Namespace, folder: Path) -> None:
    from assets.rehearsal import run_rehearsal
    from assets.runtime import read_manifest
    from oke_core.policy import load_policy
    from oke_core.reports import compliance, daily_control, portal_view, results_rows
    from oke_core.reports.invariants import evaluate_all
    from oke_core.store import Store

    times: dict[str, float] = {}
    started: dict[str, float] = {}

    def on_stage(name: str, state: str) -> None:
        if state == "start":
            started[name] = time.perf_counter()
        else:
            times[name] = time.perf_counter() - started[name]

    t0 = time.perf_counter()
    outcome = run_rehearsal(
        args.scenario, folder, seed=args.seed, on_stage=on_stage, db_url=os.environ.get("OKE_DB_URL") or None
    )
    total = time.perf_counter() - t0
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()} "
        f"python={platform.python_version()} {platform.system()} {platform.release()}"
    )
    print(f"scenario: {args.scenario}  folder: {folder}  store: {os.environ.get('OKE_DB_URL') or 'sqlite'}")
    if outcome.error:
        print(f"FAILED in {outcome.failed_stage}: {outcome.error}")
        sys.exit(1)
    counts = (outcome.summary or {}).get("counts", {})
    print(
        f"messages={counts.get('messages')} results={counts.get('results')} "
        f"checks passed={sum(c.passed for c in outcome.checks)}/{len(outcome.checks)}"
    )
    print("\nstage (incl. Dagster run overhead)          seconds")
    for name, secs in times.items():
        print(f"  {name:<42} {secs:8.2f}")
    print(f"  {'total':<42} {total:8.2f}")

    if os.environ.get("OKE_DB_URL"):
        return
    reh = read_manifest(folder)
    policy = load_policy(reh.policy)
    store = Store.open(f"sqlite:///{folder / 'krs.sqlite'}")
    print("\nreport function on the replayed store           seconds")
    for label, fn in [
        ("results_rows (all rows)", lambda: sum(1 for _ in results_rows(store, reh.until_date))),
        ("compliance", lambda: compliance(store, policy, reh.until_date, reh.meta())),
        ("daily_control (last day)", lambda: daily_control(store, policy, reh.until_date)),
        ("portal_view (as-of day)", lambda: portal_view(store, policy, reh.until_date)),
        ("invariants (all six)", lambda: evaluate_all(store, policy, folder)),
    ]:
        t = time.perf_counter()
        fn()
        print(f"  {label:<46} {time.perf_counter() - t:8.2f}")
    store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
