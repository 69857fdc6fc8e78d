"""Run a scenario: build the institution, play the year, write the output folder."""

from __future__ import annotations

import datetime as dt
import gc
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from oke_sim.emit import Emitter
from oke_sim.faults import DefectCatalogue
from oke_sim.institution import build_institution, planning_records
from oke_sim.processes import Year
from oke_sim.rng import Streams
from oke_sim.scenario import Scenario, load_scenario
from oke_sim.workdays import DAY, SimCalendar, expand_closure_days

HORIZON_MARGIN_DAYS = 400
#: The file name of an institution's own policy in its planning folder (``institution.json`` names it).
OWN_POLICY = "policy.yaml"
# Generation-0 threshold while simulating: a collection per 50,000 new container objects instead of 700.
BULK_GC_THRESHOLD = (50_000, 20, 10)


@dataclass
class Summary:
    scenario: str
    seed: int
    out_dir: Path
    students: int
    components: int
    offerings: int
    associations: int
    messages: int
    flow3: int
    flow4: int
    events: int
    results: int
    faults: dict[str, int] = field(default_factory=dict)
    defect_catalogue: str = ""
    simulated_until: str = ""

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["out_dir"] = str(self.out_dir)
        return d


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "wb") as f:
        for row in rows:
            f.write(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n")


@contextmanager
def bulk_gc() -> Iterator[None]:
    """Fewer garbage collections while the year runs; the previous settings are restored after.

    A year allocates millions of short-lived objects (bodies, deliveries, items) that hold no reference
    cycles, while the institution and planning stay alive throughout. With the default thresholds the
    collector kept walking all of them: a quarter of the CPU time of `large-roc`, for a few thousand
    objects freed. Objects alive at the start are frozen (never walked again) and the young
    generation is collected less often; cycles are still collected, only later.
    """
    previous = gc.get_threshold()
    caller_froze = gc.get_freeze_count() > 0  # then leave the caller's frozen objects frozen
    gc.freeze()
    gc.set_threshold(*BULK_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        if not caller_froze:
            gc.unfreeze()


def simulate(
    scenario: Scenario | str | Path,
    out_dir: Path | None = None,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Simulate one exam year; same scenario and seed give byte-identical files."""
    with bulk_gc():
        return _simulate(scenario, out_dir, seed, progress)


def _simulate(
    scenario: Scenario | str | Path,
    out_dir: Path | None,
    seed: int | None,
    progress: Callable[[int, int], None] | None,
) -> Summary:
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    params = sc.params
    seed = sc.seed if seed is None else seed
    out_dir = Path(out_dir) if out_dir is not None else Path("out") / sc.name
    planning_dir = out_dir / "planning"
    if planning_dir.exists():
        shutil.rmtree(planning_dir)
    planning_dir.mkdir(parents=True)

    cal_p = params["calendar"]
    origin = dt.date.fromisoformat(cal_p["year_start"])
    closure = expand_closure_days(cal_p["closure_days"])
    year_end = dt.date.fromisoformat(cal_p["year_end"])
    cal = SimCalendar(origin, (year_end - origin).days + HORIZON_MARGIN_DAYS, closure)
    if cal_p.get("simulate_until"):
        until_day = cal.day_of_iso(cal_p["simulate_until"])
    else:
        until_day = cal.add_working_days(cal.day_of(year_end), cal_p["tail_working_days"])
    until = until_day * DAY + DAY - 1

    streams = Streams(seed)
    inst = build_institution(params, streams)
    gc.freeze()  # the institution lives as long as the run: keep the collector off it
    # the institution's own policy travels with its planning, so `oke ingest --planning` uses it too
    own_policy = sc.policy_file
    if own_policy is not None:
        (planning_dir / OWN_POLICY).write_bytes(own_policy.read_bytes())
    named = params if own_policy is None else {**params, "policy": OWN_POLICY}
    for name, content in planning_records(inst, named, closure).items():
        if name.endswith(".json"):
            (planning_dir / name).write_bytes(
                orjson.dumps(content, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
            )
        else:
            _write_jsonl(planning_dir / name, content)

    emitter = Emitter(out_dir, cal)
    defects = DefectCatalogue()
    year = Year(params, inst, cal, emitter, streams, planning_dir, until, defects, progress)
    year.run()
    emitter.close(until)
    c = emitter.counts
    return Summary(
        scenario=sc.name,
        seed=seed,
        out_dir=out_dir,
        students=len(inst.students),
        components=len(inst.components),
        offerings=len(year.all_offering_ids),
        associations=year.assoc_count,
        messages=c.messages,
        flow3=c.flow3,
        flow4=c.flow4,
        events=c.events,
        results=c.results,
        faults=dict(sorted(c.faults.items())),
        defect_catalogue=str(defects.path.name),
        simulated_until=cal.date(until),
    )
