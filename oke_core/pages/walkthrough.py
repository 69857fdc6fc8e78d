"""Trainer walkthrough: one result followed through the chain, variant 1 beside variant 2.

Renders one or two `oke_core.reports.trace(...)` dicts: the steps in order, the working-day
deadlines and the OKE-log entries, with both on one timeline chart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oke_core.pages import charts, labels
from oke_core.pages.daily_control import log_entry_view
from oke_core.pages.render import render_page


def _text(value: object, *keys: str) -> str:
    """A person or component as one line, whether the trace carries a dict or a string."""
    if isinstance(value, dict):
        parts = [str(value[k]) for k in keys if value.get(k) not in (None, "")]
        return " · ".join(parts)
    return "" if value is None else str(value)


def trace_view(trace: dict) -> dict[str, Any]:
    variant = trace.get("variant")
    steps = []
    for s in trace.get("steps", []):
        detail = s.get("detail", "")
        if not isinstance(detail, str):
            import json

            detail = json.dumps(detail, sort_keys=True, ensure_ascii=False)
        steps.append(
            {
                "code": s.get("step", ""),
                "label": labels.label(labels.STEPS, s.get("step", "")),
                "date": s.get("date"),
                "actor": s.get("actor") or "",
                "detail": detail,
            }
        )
    return {
        "association_id": trace["association_id"],
        "variant": variant,
        "variant_label": labels.VARIANTS.get(variant, f"Variant {variant}")
        if isinstance(variant, int)
        else f"Variant {variant}",
        "student": _text(trace.get("student"), "name", "student_number"),
        "component": _text(trace.get("component"), "code", "name", "supplier"),
        "steps": steps,
        "deadlines": [
            dict(
                d,
                label=labels.label(labels.TRACE_DEADLINES, d.get("name", "")),
                short=labels.label(labels.TRACE_DEADLINES_SHORT, d.get("name", "")),
            )
            for d in trace.get("deadlines", [])
        ],
        "log": [log_entry_view(e) for e in trace.get("log", [])],
    }


def walkthrough_context(trace_a: dict, trace_b: dict | None) -> dict[str, Any]:
    views = [trace_view(t) for t in (trace_a, trace_b) if t is not None]
    views.sort(key=lambda v: (str(v["variant"]), v["association_id"]))
    lanes = [
        {
            "label": f"Variant {v['variant']}",
            "steps": [{"date": s["date"]} for s in v["steps"]],
            "deadlines": [{"date": d.get("date"), "label": d["short"]} for d in v["deadlines"]],
        }
        for v in views
    ]
    return {"main": trace_view(trace_a), "views": views, "chart": charts.timeline(lanes)}


def render_walkthrough(trace_a: dict, trace_b: dict | None, out_dir: Path | str) -> Path:
    """Write pages/uitleg-<association_id>.html for trace_a (and its counterpart of the other variant)."""
    context = walkthrough_context(trace_a, trace_b)
    path = Path(out_dir) / f"uitleg-{trace_a['association_id']}.html"
    return render_page("uitleg.html.j2", path, **context)
