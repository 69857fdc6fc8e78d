"""Dagelijkse logcontrole: what the exam office checks in the OKE-log on one simulated day.

Renders `oke_core.reports.daily_control(...)`: errors, missing results, breaches and the actions
to take with each supplier, with the trend over the marking period so far.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oke_core.lifecycle import LABELS_NL
from oke_core.pages import charts, labels
from oke_core.pages.render import render_page

# Detail keys left off the pages: the message body is in messages.jsonl, ids are in their own column.
HIDDEN_DETAIL = frozenset({
    "body", "event_id", "association_id", "message_id", "path", "method", "sent_at", "received_at",
    "flow_given", "at", "type", "case_id", "body@", "body_text@",
})  # fmt: skip


def _detail_text(value: object, limit: int = 160) -> str:
    """Log details are JSON (a string in the store, an object in exports); show them compactly."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = json.loads(text)
        except ValueError:
            return text[:limit]
    if isinstance(value, str):
        return value[:limit]
    if isinstance(value, dict):
        parts = []
        for k, v in sorted(value.items()):
            if k in HIDDEN_DETAIL:
                continue
            if isinstance(v, list) and v and all(isinstance(x, dict) and "ok" in x for x in v):
                parts.append(f"controles: {sum(1 for x in v if x['ok'])} van {len(v)} in orde")
            else:
                shown = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, sort_keys=True)
                parts.append(f"{labels.DETAIL_KEYS.get(k, k)}: {shown}")
        text = "; ".join(parts)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _state(code: object) -> str:
    """A result status or message outcome in Dutch (the JSONL export keeps the codes)."""
    if not code:
        return "–"
    text = str(code)
    return labels.MESSAGE_OUTCOMES.get(text) or LABELS_NL.get(text) or text


def log_entry_view(entry: dict) -> dict[str, Any]:
    """One OKE-log entry as the pages show it, whatever optional keys it carries."""
    level = str(entry.get("level") or log_level(entry))
    kind = str(entry.get("event") or entry.get("kind") or entry.get("type") or "")
    parts = []
    rule = str(entry.get("rule") or "")
    if level == "error" and rule in labels.ERROR_RULES:
        parts.append(labels.ERROR_RULES[rule])
    if entry.get("before") or entry.get("after"):
        parts.append(f"{_state(entry.get('before'))} → {_state(entry.get('after'))}")
    if entry.get("reason"):
        parts.append(f"reden: {entry['reason']}")
    if entry.get("rule"):
        parts.append(f"regel: {entry['rule']}")
    detail = _detail_text(entry.get("detail", entry.get("message")))
    if detail:
        parts.append(detail)
    return {
        "at": entry.get("at") or entry.get("date") or "",
        "level": level,
        "level_label": labels.LEVELS.get(level, level),
        "event": kind,
        "event_label": labels.label(labels.LOG_KINDS, kind) if kind else "",
        "actor": str(entry.get("actor") or ""),
        "message_id": entry.get("message_id") or "",
        "association_id": entry.get("association_id") or "",
        "detail": " · ".join(parts),
    }


def log_level(entry: dict) -> str:
    """The level the reports give a log kind (the same sets as oke_core.reports.counts)."""
    kind = str(entry.get("kind") or "")
    if kind in labels.ERROR_KINDS:
        return "error"
    if kind in labels.WARNING_KINDS:
        return "warning"
    return "info"


def daily_control_context(control: dict) -> dict[str, Any]:
    trend = list(control.get("trend", []))
    chart = ""
    if trend:
        chart = charts.trend_lines(
            trend,
            {
                "received": "ontvangen",
                "errors": "fouten",
                "missing": "ontbrekend",
                "breaches": "overschrijdingen",
            },
            [charts.BLUE, charts.RED, charts.ORANGE, charts.PURPLE],
            "",
            "trend",
            marker_day=control["day"],
        )
    actions: dict[str, list[str]] = {}
    for a in control.get("actions", []):
        actions.setdefault(str(a.get("supplier", "")), []).append(str(a.get("text", "")))
    breaches = [
        dict(b, label=labels.label(labels.BREACHES, b.get("kind", ""))) for b in control.get("breaches", [])
    ]
    return {
        "c": control,
        "scenario": control.get("scenario"),
        "institution": (control.get("institution") or {}).get("name")
        if isinstance(control.get("institution"), dict)
        else control.get("institution"),
        "errors": [log_entry_view(e) for e in control.get("errors", [])],
        "missing": list(control.get("missing_results", [])),
        "breaches": breaches,
        "actions": sorted(actions.items()),
        "trend_chart": chart,
        "trend_last": trend[-1] if trend else None,
    }


def render_daily_control(control: dict, out_dir: Path | str) -> Path:
    """Write pages/logcontrole-<day>.html."""
    context = daily_control_context(control)
    return render_page("logcontrole.html.j2", Path(out_dir) / f"logcontrole-{control['day']}.html", **context)
