"""The one Jinja2 environment the pages share: Dutch filters, autoescaping, inline CSS.

Autoescaping is on for every template: texts that came from messages (irregularities, comments,
error details) are untrusted and must never become markup.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from oke_core.pages.dates import long_date, medium_date, short_date, time_of
from oke_core.pages.labels import GRADE_WORDS


def number(value: object) -> str:
    """Dutch thousands separator: 12.345."""
    if value is None or value == "":
        return "–"
    return f"{int(value):,}".replace(",", ".")  # type: ignore[call-overload]


def percent(share: object, digits: int = 1) -> str:
    """A 0..1 share as '85,1%'."""
    if share is None or share == "":
        return "–"
    return f"{float(share) * 100:.{digits}f}".replace(".", ",") + "%"  # type: ignore[arg-type]


def decimal(value: object, digits: int = 1) -> str:
    """'6,8' for numbers; other grades (passed, 2F, B1 ...) unchanged."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{float(value):.{digits}f}".replace(".", ",")
    text = str(value)
    try:
        float(text)
    except ValueError:
        return text
    return text.replace(".", ",")


def grade(value: object) -> str:
    """A grade as a student reads it: '6,8', 'voldoende', 'niet behaald', '2F'."""
    if isinstance(value, str) and value in GRADE_WORDS:
        return GRADE_WORDS[value]
    return decimal(value)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("oke_core.pages", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        long_date=long_date,
        medium_date=medium_date,
        short_date=short_date,
        time_of=time_of,
        number=number,
        percent=percent,
        decimal=decimal,
        grade=grade,
    )
    return env


@cache
def css() -> str:
    return resources.files("oke_core.pages").joinpath("templates/style.css").read_text(encoding="utf-8")


def render_page(template: str, out_path: Path, **context: Any) -> Path:
    """Render a template to a file (UTF-8, `\\n` line ends) and return its path."""
    html = environment().get_template(template).render(css=css(), **context)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with out_path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(html)
    return out_path
