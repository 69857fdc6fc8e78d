"""Periodieke rapportage examencommissie: the exam board's report, one self-contained page.

Renders `oke_core.reports.compliance(...)` (INTERFACES.md section 11). The page states every
figure the annual evaluation asks for, so the board can print it to PDF as is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oke_core.pages import charts, labels
from oke_core.pages.dates import as_date
from oke_core.pages.render import render_page


def _in_range(day: object, lo: object, hi: object) -> bool:
    d = as_date(day)  # type: ignore[arg-type]
    return d is not None and as_date(lo) <= d <= as_date(hi)  # type: ignore[arg-type,operator]


def _period_view(compliance: dict, period: str | None) -> tuple[list[dict], list[dict], list[dict], str]:
    """The periods shown, plus status and cut scores restricted to the chosen period."""
    periods = list(compliance.get("periods", []))
    status = list(compliance.get("status_over_time", []))
    cuts = list(compliance.get("cut_scores", []))
    if period is None:
        return periods, status, cuts, "jaar"
    chosen = [p for p in periods if p["period"] == period]
    if not chosen:
        known = ", ".join(p["period"] for p in periods) or "geen"
        raise ValueError(f"period {period!r} not in compliance data (known: {known})")
    p = chosen[0]
    status = [s for s in status if _in_range(s["date"], p["from"], p["to"])]
    cuts = [c for c in cuts if c.get("first_sitting") and _in_range(c["first_sitting"], p["from"], p["to"])]
    return chosen, status, cuts, period


def _deadline_label(key: str, figures: dict) -> str:
    n = figures.get("deadline_working_days")
    if n is None and key == "establishment":
        return labels.DEADLINES["establishment-cut-score"]
    return labels.DEADLINES[key].format(n="?" if n is None else n)


def example_text(example: object) -> str:
    """One example of a deviation in a line: ids shortened, the telling values kept."""
    if not isinstance(example, dict):
        return str(example)

    def short(value: object) -> str:
        text = str(value)
        return text[:8] if len(text) == 36 and text.count("-") == 4 else text

    id_keys = ("message_id", "association_id", "offering_id")
    ident = next((short(example[k]) for k in id_keys if example.get(k)), "")
    if example.get("text"):
        what = str(example["text"])
    elif example.get("reason"):
        what = (
            labels.label(labels.QUARANTINE_REASONS, example["reason"])
            if example["reason"] in labels.QUARANTINE_REASONS
            else str(example["reason"])
        )
    elif "from" in example or "to" in example:
        what = f"{example.get('from') or '–'} → {example.get('to') or '–'}"
    else:
        what = ", ".join(f"{k}: {short(v)}" for k, v in sorted(example.items()) if k not in id_keys)
    return f"{ident}: {what}" if ident else what


def exam_board_context(compliance: dict, period: str | None = None) -> dict[str, Any]:
    periods, status, cuts, slug = _period_view(compliance, period)
    deadlines = compliance.get("deadlines", {})
    deadline_labels = {
        key: _deadline_label(key, deadlines[key])
        for key in ("marking", "import", "establishment")
        if key in deadlines
    }
    cases = compliance.get("cases", {})
    case_rows = [
        (labels.CASES[k], k, cases[k]) for k in ("inspections", "complaints", "appeals") if k in cases
    ]
    college_chart = ""
    colleges: dict[str, dict[str, int]] = {}
    for p in periods:
        for row in p.get("by_college", []):
            agg = colleges.setdefault(row["college_code"], {"provisional": 0, "definitive": 0})
            agg["provisional"] += int(row.get("provisional", 0))
            agg["definitive"] += int(row.get("definitive", 0))
    if colleges:
        codes = sorted(colleges)
        college_chart = charts.grouped_bars(
            codes,
            {
                "voorlopig": [colleges[c]["provisional"] for c in codes],
                "definitief": [colleges[c]["definitive"] for c in codes],
            },
            [charts.ORANGE, charts.GREEN],
            "Resultaten per college",
            "colleges",
        )
    quarantine = sorted(compliance.get("quarantine_reasons", {}).items())
    return {
        "c": compliance,
        "slug": slug,
        "period": period,
        "periods": periods,
        "status_chart": charts.status_over_time(status) if status else "",
        "status_last": status[-1] if status else None,
        "college_chart": college_chart,
        "cuts": cuts,
        "deadline_labels": deadline_labels,
        "deadline_chart": charts.deadline_bars(deadlines, deadline_labels) if deadline_labels else "",
        "case_rows": case_rows,
        "corrections": cases.get("corrections", 0),
        "quarantine": [(code, labels.label(labels.QUARANTINE_REASONS, code), n) for code, n in quarantine],
        "deviations": [
            dict(
                d,
                label=labels.label(labels.DEVIATIONS, d.get("kind", "")),
                example_lines=[example_text(e) for e in d.get("examples", [])[:3]],
            )
            for d in compliance.get("deviations", [])
        ],
        "annual": compliance.get("annual_evaluation", {}),
        "variants": labels.VARIANTS,
    }


def render_exam_board(compliance: dict, out_dir: Path | str, period: str | None = None) -> Path:
    """Write pages/examencommissie-<period|jaar>.html; without `period` all periods are shown."""
    context = exam_board_context(compliance, period)
    return render_page(
        "examencommissie.html.j2", Path(out_dir) / f"examencommissie-{context['slug']}.html", **context
    )
