"""Rendering rules that hold for any data: Dutch dates, escaping, determinism, self-contained pages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pages_sample_data as sample_data
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oke_core import pages
from oke_core.pages.dates import MONTHS, WEEKDAYS, as_date, long_date
from oke_core.pages.render import decimal, number, percent

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_long_date_is_dutch_and_names_the_right_day(d: date) -> None:
    text = long_date(d)
    weekday, day, month, year = text.split(" ")
    assert weekday == WEEKDAYS[d.weekday()]
    assert (int(day), MONTHS.index(month) + 1, int(year)) == (d.day, d.month, d.year)
    assert long_date(d.isoformat()) == text


def test_long_date_matches_the_issue_example() -> None:
    assert long_date("2026-09-14") == "maandag 14 september 2026"


def test_date_times_are_shown_in_dutch_local_time() -> None:
    # 23:30 UTC on 31 March is already 1 April in Amsterdam (summer time, UTC+2).
    assert as_date("2026-03-31T23:30:00Z") == date(2026, 4, 1)


@given(st.integers(min_value=0, max_value=10**9))
def test_numbers_use_dutch_thousands_separator(n: int) -> None:
    text = number(n)
    assert int(text.replace(".", "")) == n
    assert "," not in text


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_percent_uses_a_decimal_comma(share: float) -> None:
    text = percent(share)
    assert text.endswith("%") and "." not in text
    assert abs(float(text[:-1].replace(",", ".")) - share * 100) <= 0.05 + 1e-9


def test_decimal_grades_and_other_grades() -> None:
    assert decimal("6.8") == "6,8"
    assert decimal(6.42) == "6,4"
    assert decimal("2F") == "2F"
    assert decimal("passed") == "passed"
    assert decimal(None) == "–"


def _render_all(out: Path) -> list[Path]:
    from oke_core.policy import load_policy

    paths = [
        pages.render_exam_board(sample_data.compliance(), out),
        pages.render_exam_board(sample_data.compliance(), out, period="P1"),
        pages.render_daily_control(sample_data.daily_control(), out),
        pages.render_portal(sample_data.portal(), out),
        pages.render_portal(sample_data.portal(), out, student_number="1234567"),
        pages.render_walkthrough(sample_data.trace(1), sample_data.trace(2), out),
    ]
    template = load_policy("eduarte").notification_template
    paths += pages.write_outbox(sample_data.notifications(template), out / "outbox")
    return paths


def test_file_names_follow_the_interface(tmp_path: Path) -> None:
    names = sorted(p.name for p in _render_all(tmp_path))
    assert names == sorted(
        [
            "examencommissie-jaar.html",
            "examencommissie-P1.html",
            "logcontrole-2026-09-29.html",
            "studentenportaal-2026-10-05.html",
            "studentenportaal-2026-10-05-1234567.html",
            "uitleg-6f1c0000-0000-4000-8000-000000000001.html",
            "6f1c0000-0000-4000-8000-000000000001-v1.eml",
        ]
    )


def test_text_from_messages_is_escaped(tmp_path: Path) -> None:
    for path in _render_all(tmp_path):
        if path.suffix != ".html":
            continue
        html = path.read_text(encoding="utf-8")
        assert "<script>" not in html, path.name
        assert "<b>gespiekt" not in html
        assert "<van>" not in html
    board = (tmp_path / "examencommissie-jaar.html").read_text(encoding="utf-8")
    assert "ROC &lt;Voorbeeld&gt; &amp; Co" in board
    assert "Jantje heeft &lt;b&gt;gespiekt&lt;/b&gt;." in board
    control = (tmp_path / "logcontrole-2026-09-29.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;x&lt;/script&gt;" in control


def test_pages_are_self_contained(tmp_path: Path) -> None:
    for path in _render_all(tmp_path):
        if path.suffix != ".html":
            continue
        html = path.read_text(encoding="utf-8")
        assert "<script" not in html
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), path.name
        assert "@import" not in html and "url(http" not in html
        assert html.count("<svg") >= (1 if "studentenportaal" not in path.name else 0)


def test_same_data_gives_byte_identical_files_across_processes(tmp_path: Path) -> None:
    """Run the renderer in two fresh interpreters with different hash seeds: identical bytes."""
    script = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]); "
        "from test_pages_render import _render_all; _render_all(Path(sys.argv[1]))"
    )
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"run{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-c", script, str(out), str(HERE)], cwd=REPO, env=env, check=True)
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert len(files) == 7
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_unknown_period_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"period 'P9' not in compliance data \(known: P1\)"):
        pages.render_exam_board(sample_data.compliance(), tmp_path, period="P9")


def test_period_page_keeps_only_that_periods_dates(tmp_path: Path) -> None:
    data = sample_data.compliance()
    data["periods"].append(
        {"period": "P2", "from": "2026-11-16", "to": "2027-01-29", "by_college": [], "by_component": []}
    )
    data["cut_scores"][1]["first_sitting"] = "2026-11-20"
    p1 = pages.render_exam_board(data, tmp_path, period="P1").read_text(encoding="utf-8")
    p2 = pages.render_exam_board(data, tmp_path, period="P2").read_text(encoding="utf-8")
    assert "NED-2F-LEZ-v1" in p1 and "BPV-TECH-v2" not in p1
    assert "BPV-TECH-v2" in p2 and "NED-2F-LEZ-v1" not in p2
    assert "Geen resultaten in deze periode." in p2


def test_portal_never_calls_a_provisional_result_definitive(tmp_path: Path) -> None:
    portal = sample_data.portal()
    html = pages.render_portal(portal, tmp_path).read_text(encoding="utf-8")
    blocks = re.findall(r'<div class="result"[^>]*data-status="(\w+)"(.*?)</dl>', html, flags=re.S)
    statuses = [r["status"] for s in portal["students"] for r in s["results"]]
    assert [b[0] for b in blocks] == statuses
    for status, body in blocks:
        if status == "voorlopig":
            assert "Definitief vastgesteld" not in body and "badge definitief" not in body
            assert "Wordt definitief" in body


def test_portal_shows_the_students_complaints_and_how_they_stand(tmp_path: Path) -> None:
    html = pages.render_portal(sample_data.portal(), tmp_path).read_text(encoding="utf-8")
    cards = dict(
        re.findall(r'<section class="student"[^>]*data-student="(\d+)">(.*?)</section>', html, flags=re.S)
    )
    assert "ingediend op woensdag 30 september 2026: <strong>in behandeling</strong>" in cards["7654321"]
    refused = cards["1234567"]
    assert "ingediend op maandag 5 oktober 2026: <strong>niet-ontvankelijk</strong>" in refused
    assert "ingediend toen het resultaat dat niet toeliet" in refused
    assert "in behandeling" not in refused


def test_empty_days_render_with_a_plain_dutch_note(tmp_path: Path) -> None:
    control = {
        "day": "2026-09-14",
        "errors": [],
        "missing_results": [],
        "breaches": [],
        "actions": [],
        "trend": [],
    }
    html = pages.render_daily_control(control, tmp_path).read_text(encoding="utf-8")
    assert "Geen bijzonderheden vandaag." in html and "Geen ontbrekende resultaten." in html
    portal = pages.render_portal({"day": "2026-09-14", "students": []}, tmp_path).read_text(encoding="utf-8")
    assert "Geen studenten met resultaten op deze dag." in portal


def test_walkthrough_without_counterpart_has_one_column(tmp_path: Path) -> None:
    html = pages.render_walkthrough(sample_data.trace(2), None, tmp_path).read_text(encoding="utf-8")
    assert html.count('class="variant"') == 1
    assert "Variant 2 – leverancier zet om" in html and "naast elkaar" not in html


def test_dates_move_on_by_day(tmp_path: Path) -> None:
    """The portal says a window has passed once the day shown is after it."""
    portal = sample_data.portal()
    day = date.fromisoformat(portal["students"][1]["results"][0]["complaint_until"])
    portal["day"] = day.isoformat()
    html = pages.render_portal(portal, tmp_path).read_text(encoding="utf-8")
    assert "mogelijk tot en met <strong>maandag 12 oktober 2026</strong>" in html
    portal["day"] = (day + timedelta(days=1)).isoformat()
    html = pages.render_portal(portal, tmp_path).read_text(encoding="utf-8")
    assert "termijn verstreken (maandag 12 oktober 2026)" in html


_dates = st.dates(min_value=date(2026, 8, 1), max_value=date(2027, 8, 1)).map(date.isoformat)
_result = st.fixed_dictionaries({
    "component_code": st.from_regex(r"[A-Z]{2,4}-[0-9A-Z]{2,5}", fullmatch=True),
    "component_name": st.text(min_size=1, max_size=40),
    "attempt": st.integers(min_value=1, max_value=3),
    "sitting_date": _dates,
    "status": st.sampled_from(["voorlopig", "definitief"]),
    "grade": st.one_of(st.none(), st.sampled_from(["6.8", "5.4", "passed", "failed", "good", "2F"])),
    "complaint_until": st.one_of(st.none(), _dates),
    "definitive_on": st.one_of(st.none(), _dates),
    "appeal_until": st.one_of(st.none(), _dates),
})  # fmt: skip
_portal = st.fixed_dictionaries({
    "day": _dates,
    "students": st.lists(st.fixed_dictionaries({
        "student_number": st.from_regex(r"[0-9]{6,7}", fullmatch=True),
        "name": st.text(min_size=1, max_size=30),
        "results": st.lists(_result, max_size=4),
    }), max_size=4, unique_by=lambda s: s["student_number"]),
})  # fmt: skip


@given(_portal)
@settings(max_examples=40, deadline=None)
def test_portal_shows_every_result_and_nothing_definitive_early(portal: dict) -> None:
    """Whatever the data: one card per result in order, provisional cards never claim definitive."""
    import tempfile

    import markupsafe

    with tempfile.TemporaryDirectory() as tmp:
        page = pages.render_portal(portal, Path(tmp)).read_bytes().decode("utf-8")
    cards = re.findall(r'<div class="result"[^>]*data-status="(\w+)"(.*?)</dl>', page, flags=re.S)
    expected = [r for s in portal["students"] for r in s["results"]]
    assert [c[0] for c in cards] == [r["status"] for r in expected]
    for (status, body), r in zip(cards, expected, strict=True):
        assert str(markupsafe.escape(r["component_name"])) in body
        if status == "voorlopig":
            assert "Definitief vastgesteld" not in body and "badge definitief" not in body
            assert "Beroep bij de CBE</dt><dd>mogelijk tot 10 werkdagen nadat" in body
        else:
            assert "Wordt definitief" not in body
