"""Charts as inline SVG, so a page is one self-contained file (no scripts, no fonts, no network).

matplotlib's SVG output is made deterministic: a fixed hash salt for element ids, text kept as
text (`svg.fonttype: none`, so no glyph paths that vary per machine) and no creation date. Ids
are prefixed per chart so several charts can share one HTML page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date

from oke_core.pages.dates import as_date, short_date

# A small, calm palette used by every page (also in the CSS).
BLUE = "#1f5f99"
ORANGE = "#d9822b"
GREEN = "#2e8540"
RED = "#b3261e"
GREY = "#6b7280"
PURPLE = "#6a4c93"

_RC = {
    "svg.hashsalt": "oke-pages",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9ca3af",
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "legend.frameon": False,
    "figure.dpi": 100,
}

_ID = re.compile(r'id="([^"]+)"')


def _svg(fig, name: str) -> str:  # type: ignore[no-untyped-def]
    """Serialise a figure to an inline <svg> element with ids unique to `name`."""
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    ids = set(_ID.findall(text))
    for old in sorted(ids, key=len, reverse=True):
        new = f"{name}-{old}"
        text = text.replace(f'id="{old}"', f'id="{new}"')
        text = text.replace(f"url(#{old})", f"url(#{new})")
        text = text.replace(f'href="#{old}"', f'href="#{new}"')
    # Scale with the page: drop fixed pt sizes, keep the viewBox.
    text = re.sub(
        r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r'<svg\1 class="chart" role="img"', text, count=1
    )
    return text.strip() + "\n"


def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    # the stubs type rcParams keys as a Literal of every known name; _RC's keys are among them
    matplotlib.rcParams.update(_RC)  # type: ignore[arg-type]
    return plt.subplots(figsize=(width, height))


def _date_axis(ax, days: Sequence[date | None]) -> None:  # type: ignore[no-untyped-def]
    """Dutch tick labels at a readable density (a point without a date is labelled '–')."""
    if not days:
        return
    step = max(1, len(days) // 8)
    ticks = list(range(0, len(days), step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([short_date(days[i]) for i in ticks], rotation=0)


def status_over_time(points: Sequence[dict], name: str = "status") -> str:
    """Provisional vs definitive results at the end of each day (stacked area)."""
    fig, ax = _figure(11.0, 3.0)
    days = [as_date(p["date"]) for p in points]
    xs = list(range(len(days)))
    prov = [int(p.get("provisional", 0)) for p in points]
    defi = [int(p.get("definitive", 0)) for p in points]
    if xs:
        ax.stackplot(xs, defi, prov, labels=["definitief", "voorlopig"], colors=[GREEN, ORANGE], alpha=0.85)
        ax.set_xlim(0, max(1, len(xs) - 1))
    _date_axis(ax, days)
    ax.set_ylabel("resultaten")
    ax.legend(loc="upper left", ncols=2)
    ax.grid(axis="y", color="#e5e7eb")
    return _svg(fig, name)


def deadline_bars(deadlines: dict, labels: dict[str, str], name: str = "deadlines") -> str:
    """On time vs late per deadline kind (horizontal stacked bars with the share on time)."""
    fig, ax = _figure(11.0, 0.7 + 0.5 * max(1, len(labels)))
    keys = [k for k in labels if k in deadlines]
    ys = list(range(len(keys)))[::-1]
    on_time = [int(deadlines[k].get("on_time", 0)) for k in keys]
    late = [int(deadlines[k].get("late", 0)) for k in keys]
    ax.barh(ys, on_time, color=GREEN, label="op tijd", height=0.55)
    ax.barh(ys, late, left=on_time, color=RED, label="te laat", height=0.55)
    ax.set_yticks(ys)
    ax.set_yticklabels([labels[k] for k in keys])
    for y, k, a, b in zip(ys, keys, on_time, late, strict=True):
        share = deadlines[k].get("share_on_time")
        if not deadlines[k].get("total"):
            text = "nog niets te meten"
        else:
            text = "–" if share is None else f"{float(share) * 100:.1f}".replace(".", ",") + "% op tijd"
        ax.text(a + b, y, f"  {text}", va="center", fontsize=8, color="#111827")
    ax.set_xlabel("aantal")
    ax.margins(x=0.25)
    ax.legend(loc="lower right", ncols=2, bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", color="#e5e7eb")
    return _svg(fig, name)


def grouped_bars(
    categories: Sequence[str], series: dict[str, Sequence[int]], colors: Sequence[str], title: str, name: str
) -> str:
    """Counts per category (e.g. per college), one bar per series, side by side."""
    fig, ax = _figure(11.0, 2.6)
    n = max(1, len(series))
    width = 0.8 / n
    for i, ((label, values), color) in enumerate(zip(series.items(), colors, strict=False)):
        xs = [c + (i - (n - 1) / 2) * width for c in range(len(categories))]
        ax.bar(xs, list(values), width=width, label=label, color=color)
    ax.set_xticks(list(range(len(categories))))
    ax.set_xticklabels(list(categories))
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", ncols=len(series), bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", color="#e5e7eb")
    ax.set_axisbelow(True)
    return _svg(fig, name)


def trend_lines(
    points: Sequence[dict],
    series: dict[str, str],
    colors: Sequence[str],
    title: str,
    name: str,
    marker_day: str | None = None,
) -> str:
    """Daily counts over a period as lines (the exam office's trend over the marking period)."""
    fig, ax = _figure(11.0, 2.8)
    days = [as_date(p["date"]) for p in points]
    xs = list(range(len(days)))
    for (key, label), color in zip(series.items(), colors, strict=False):
        ax.plot(
            xs,
            [int(p.get(key, 0)) for p in points],
            label=label,
            color=color,
            linewidth=1.6,
            marker="o" if len(xs) < 25 else None,
            markersize=3,
        )
    if marker_day is not None and as_date(marker_day) in days:
        ax.axvline(days.index(as_date(marker_day)), color=GREY, linestyle="--", linewidth=1)
    if xs:
        ax.set_xlim(-0.3, max(1, len(xs) - 1) + 0.3)
    _date_axis(ax, days)
    ax.set_ylim(bottom=0)
    from matplotlib.ticker import MaxNLocator  # lazy, as matplotlib itself (see _figure)

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 steps
    if title:
        ax.set_title(title, loc="left")
    # above the plot, as the bar charts: inside, it covered a line that runs along the top
    ax.legend(loc="lower right", ncols=len(series), bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="y", color="#e5e7eb")
    return _svg(fig, name)


def timeline(lanes: Sequence[dict], name: str = "timeline") -> str:
    """Steps of one or two results on a shared date axis, with the working-day deadlines.

    Each lane: `{label, steps: [{date}], deadlines: [{date, label}]}`. Steps are drawn as numbered
    points (the numbers of the step list beside the chart); steps on one day share a point. A step
    or deadline without a date is left off the chart (its number is skipped, not reused).
    """
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    fig, ax = _figure(11.0, 0.9 + 1.45 * max(1, len(lanes)))
    # a step or deadline without a date has no place on the axis (as_date: None for None and "")
    all_days = [
        day for lane in lanes for s in lane["steps"] + lane["deadlines"] if (day := as_date(s.get("date")))
    ]
    for row, lane in enumerate(lanes):
        y = len(lanes) - 1 - row
        by_day: dict[date, list[int]] = {}
        for number, s in enumerate(lane["steps"], start=1):
            if day := as_date(s.get("date")):
                by_day.setdefault(day, []).append(number)
        xs = [mdates.date2num(d) for d in sorted(by_day)]
        if xs:
            ax.plot([min(xs), max(xs)], [y, y], color="#cbd5e1", linewidth=3, zorder=1)
        ax.scatter(xs, [y] * len(xs), s=40, color=BLUE, zorder=3)
        for d in sorted(by_day):
            ax.annotate(
                "·".join(map(str, by_day[d])),
                (mdates.date2num(d), y),
                xytext=(0, 7),
                textcoords="offset points",
                fontsize=8,
                ha="center",
                va="bottom",
                color=BLUE,
                fontweight="bold",
            )
        last_x, level = None, 0
        dated = [(due, x) for x in lane["deadlines"] if (due := as_date(x.get("date")))]
        for due, d in sorted(dated, key=lambda pair: pair[0]):
            x = mdates.date2num(due)
            level = level + 1 if last_x is not None and x - last_x < 9 else 0
            last_x = x
            ax.plot([x, x], [y - 0.12, y + 0.12], color=RED, linewidth=1.6, zorder=2)
            ax.annotate(
                d["label"],
                (x, y - 0.12),
                xytext=(0, -4 - 10 * level),
                textcoords="offset points",
                fontsize=7,
                ha="center",
                va="top",
                color=RED,
            )
    ax.set_yticks(list(range(len(lanes))))
    ax.set_yticklabels([lane["label"] for lane in reversed(lanes)], fontweight="bold")
    ax.set_ylim(-0.75, len(lanes) - 0.45)
    if all_days:
        lo, hi = min(all_days), max(all_days)
        span = max(7, (hi - lo).days)
        ax.set_xlim(mdates.date2num(lo) - span * 0.05, mdates.date2num(hi) + span * 0.05)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=12))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: short_date(mdates.num2date(v).date())))
    ax.grid(axis="x", color="#e5e7eb")
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return _svg(fig, name)
