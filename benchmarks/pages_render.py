"""Benchmark: render every page of one rehearsal and print the timings.

Usage: .venv/bin/python benchmarks/pages_render.py out/<scenario> [--repeat N]
(run `oke rehearse <scenario>` first). Prints figures, not asserts; the machine is noted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rehearsal", type=Path, help="a rehearsal folder (out/<scenario>)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder: Path = args.rehearsal

    from oke_core import pages
    from oke_core.pages.examples import choose_examples
    from oke_core.pages.explain import explain
    from oke_core.reports import results_rows
    from oke_core.reports.files import read_jsonl
    from oke_core.store import Store

    compliance = json.loads((folder / "compliance.json").read_text(encoding="utf-8"))
    control = json.loads((folder / "daily_control.json").read_text(encoding="utf-8"))
    portal = json.loads((folder / "portal.json").read_text(encoding="utf-8"))
    notes = list(read_jsonl(folder / "notifications.jsonl"))
    n_results = sum(len(s["results"]) for s in portal["students"])
    cpu = platform.processor() or platform.machine()
    print(
        f"machine: {platform.node()} · {cpu} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · {platform.system()} {platform.release()}"
    )
    print(
        f"rehearsal: {folder} · {compliance['totals']['results']} results · "
        f"{len(portal['students'])} students in the portal ({n_results} results) · "
        f"{len(notes)} notifications"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rows = [
            ("exam board (year)", lambda: pages.render_exam_board(compliance, out)),
            ("daily control", lambda: pages.render_daily_control(control, out)),
            ("student portal (all students)", lambda: pages.render_portal(portal, out)),
            ("outbox (.eml)", lambda: pages.write_outbox(notes, out / "outbox")),
        ]
        store = Store.open(f"sqlite:///{folder / 'krs.sqlite'}")
        examples = choose_examples(results_rows(store))
        if examples:
            first = examples.get(1) or next(iter(examples.values()))
            rows.append(("walkthrough (trace + render)", lambda: explain(store, first, out)))
        for name, fn in rows:
            seconds, result = _best(fn, args.repeat)
            paths = result if isinstance(result, list) else [result]
            size = sum(Path(p).stat().st_size for p in paths)  # type: ignore[arg-type]
            extra = f" · {len(paths)} files" if isinstance(result, list) else ""
            print(f"{name:32s} {seconds * 1000:9.1f} ms · {size / 1024:8.1f} KiB{extra}")
        if notes:
            seconds, _ = _best(lambda: pages.write_outbox(notes, out / "outbox"), args.repeat)
            print(f"{'e-mails per second':32s} {len(notes) / seconds:9.0f}")
        store.close()


if __name__ == "__main__":
    main()
