"""Small helpers that turn report data into Dagster UI metadata (markdown tables, summaries)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import dagster as dg


def _cell(value: Any) -> str:
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], limit: int = 50) -> dg.MetadataValue:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    rows = list(rows)
    for row in rows[:limit]:
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if len(rows) > limit:
        lines.append(f"| ... {len(rows) - limit} more | " + " | " * (len(headers) - 1))
    if not rows:
        lines.append("| (none) |" + " |" * (len(headers) - 1))
    return dg.MetadataValue.md("\n".join(lines))


def what_happened(text: str) -> dg.MetadataValue:
    return dg.MetadataValue.md(text)
