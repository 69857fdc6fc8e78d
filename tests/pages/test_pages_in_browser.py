"""The pages of a real rehearsal, opened in headless Chromium as a person would see them.

Numbers on the page are read from the rendered DOM and compared with the report data
(compliance.json, daily_control.json, portal.json) the same rehearsal wrote.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from email import policy as email_policy
from email.parser import BytesParser
from pathlib import Path

from typer.testing import CliRunner

from oke.cli import app
from oke_core.pages import render_portal, write_outbox
from oke_core.pages.dates import long_date
from oke_core.pages.render import grade, number, percent

HEADINGS = (
    "Kerncijfers",
    "Resultaten per college en examenonderdeel",
    "Voorlopig en definitief in de tijd",
    "Cesuurbesluiten",
    "Termijnbewaking",
    "Inzage, klachten en beroep",
    "Afwijkingen en quarantaine",
    "Jaarevaluatie",
)
COLLEGE_COLUMNS = ("results", "provisional", "definitive", "passed", "failed", "no_outcome")


def _field(page, name: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(f'[data-field="{name}"]').first.inner_text().strip()


def _charts_visible(page, at_least: int) -> None:  # type: ignore[no-untyped-def]
    charts = page.locator("svg.chart")
    assert charts.count() >= at_least
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box and box["width"] > 400 and box["height"] > 80


def test_exam_board_page_shows_the_compliance_numbers(rehearsed, open_page, screenshot) -> None:  # type: ignore[no-untyped-def]
    report = rehearsed.json("compliance.json")
    opened = open_page(rehearsed.pages / "examencommissie-jaar.html")
    page = opened.page
    assert opened.console == []
    assert "resultaten en termijnen" in page.locator("h1").inner_text()
    headings = page.locator("h2").all_inner_texts()
    for h in HEADINGS:
        assert h in headings
    assert long_date(report["as_of"]) in page.locator("header .meta").inner_text()
    for key, value in report["totals"].items():
        assert _field(page, f"totals.{key}") == number(value), key
    annual = report["annual_evaluation"]
    for key in ("results", "corrections", "complaints", "appeals"):
        assert _field(page, f"annual_evaluation.{key}") == number(annual[key])
    for key in ("share_marking_on_time", "share_import_on_time", "share_established_on_time"):
        assert _field(page, f"annual_evaluation.{key}") == percent(annual[key])
    assert _field(page, "annual_evaluation.quarantine_share") == percent(annual["quarantine_share"], 2)
    for key, d in report["deadlines"].items():
        row = page.locator(f'tr[data-deadline="{key}"] td').all_inner_texts()
        assert row[1:4] == [number(d["total"]), number(d["on_time"]), number(d["late"])]
        assert row[4] == (percent(d["share_on_time"]) if d["total"] else "–")
    for kind in ("inspections", "complaints", "appeals"):
        row = page.locator(f'tr[data-case="{kind}"] td').all_inner_texts()
        c = report["cases"][kind]
        keys = ("filed", "decided", "upheld", "rejected", "inadmissible", "open", "on_time")
        assert row[1:8] == [number(c[k]) for k in keys]
    assert _field(page, "cases.corrections") == number(report["cases"]["corrections"])
    for code, n in report["quarantine_reasons"].items():
        assert page.locator(f'tr[data-reason="{code}"] td.num').inner_text() == number(n)
    for p in report["periods"]:
        rows = page.locator(f'table.by-college[data-period="{p["period"]}"] tbody tr')
        assert rows.count() == len(p["by_college"])
        for i, college in enumerate(p["by_college"]):
            cells = rows.nth(i).locator("td").all_inner_texts()
            assert cells[1:] == [number(college[k]) for k in COLLEGE_COLUMNS]
        assert page.locator(f'table.by-component[data-period="{p["period"]}"] tbody tr').count() == len(
            p["by_component"]
        )
    assert page.locator("#cesuur tbody tr").count() == len(report["cut_scores"])
    _charts_visible(page, 3)
    screenshot(opened, "examencommissie")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000


def test_exam_board_has_a_page_per_period(rehearsed) -> None:  # type: ignore[no-untyped-def]
    report = rehearsed.json("compliance.json")
    for p in report["periods"]:
        html = (rehearsed.pages / f"examencommissie-{p['period']}.html").read_text(encoding="utf-8")
        assert f"periode {p['period']}" in html


def test_daily_control_page_matches_the_control_data(rehearsed, open_page, screenshot) -> None:  # type: ignore[no-untyped-def]
    control = rehearsed.json("daily_control.json")
    opened = open_page(rehearsed.pages / f"logcontrole-{control['day']}.html")
    page = opened.page
    assert opened.console == []
    assert page.locator("h1").inner_text() == f"Logcontrole van {long_date(control['day'])}"
    assert _field(page, "errors") == number(len(control["errors"]))
    assert _field(page, "missing_results") == number(len(control["missing_results"]))
    assert _field(page, "breaches") == number(len(control["breaches"]))
    suppliers = {a["supplier"] for a in control["actions"]}
    assert _field(page, "suppliers") == number(len(suppliers))
    for a in control["actions"]:
        assert a["text"] in page.locator("#acties").inner_text()
    if control["trend"]:
        _charts_visible(page, 1)
    screenshot(opened, "logcontrole-laatste-dag", docs=False)


def test_daily_control_on_a_busy_day_lists_what_to_chase(rehearsed, open_page, screenshot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Pick the rehearsal day with the most missing results; the page lists each of them."""
    from oke_core.pages import render_daily_control
    from oke_core.policy import load_policy
    from oke_core.reports import daily_control
    from oke_core.store import Store

    store = Store.open(f"sqlite:///{rehearsed.folder / 'krs.sqlite'}")
    try:
        last = daily_control(store, load_policy("beoordelen"), _last_day(rehearsed))
        busiest = max(last["trend"], key=lambda t: (t["missing"] + t["errors"], t["date"]))
        from datetime import date

        control = daily_control(store, load_policy("beoordelen"), date.fromisoformat(busiest["date"]))
    finally:
        store.close()
    assert control["missing_results"] or control["errors"], "tiny should have a day with something to chase"
    opened = open_page(render_daily_control(control, tmp_path))
    page = opened.page
    assert page.locator("#ontbrekend tbody tr").count() == len(control["missing_results"])
    assert page.locator("#fouten tbody tr").count() == len(control["errors"])
    for m in control["missing_results"]:
        assert m["student_number"] in page.locator("#ontbrekend").inner_text()
    assert opened.console == []
    screenshot(opened, "logcontrole")


def _last_day(rehearsed):  # type: ignore[no-untyped-def]
    from datetime import date

    return date.fromisoformat(rehearsed.json("daily_control.json")["day"])


def test_portal_page_shows_each_students_results(rehearsed, open_page, screenshot) -> None:  # type: ignore[no-untyped-def]
    portal = rehearsed.json("portal.json")
    report = rehearsed.json("compliance.json")
    opened = open_page(rehearsed.pages / f"studentenportaal-{portal['day']}.html")
    page = opened.page
    assert opened.console == []
    assert page.locator("h1").inner_text() == f"Mijn resultaten op {long_date(portal['day'])}"
    assert page.locator("section.student").count() == len(portal["students"])
    shown = page.locator("div.result")
    statuses = [r["status"] for s in portal["students"] for r in s["results"]]
    assert shown.count() == len(statuses)
    assert [shown.nth(i).get_attribute("data-status") for i in range(shown.count())] == statuses
    # What the students see adds up to the exam board's totals on the same day.
    assert portal["day"] == report["as_of"]
    assert statuses.count("voorlopig") == report["totals"]["provisional"]
    assert statuses.count("definitief") == report["totals"]["definitive"]
    voorlopig = page.locator('div.result[data-status="voorlopig"]')
    for i in range(voorlopig.count()):
        text = voorlopig.nth(i).inner_text()
        assert "Definitief vastgesteld" not in text and "Wordt definitief" in text
    # Each student's own inspections, complaints and appeals, as the data says, and none the exam
    # board does not count (withdrawn results, not shown, may hold a few more there).
    cases = [c for s in portal["students"] for r in s["results"] for c in r["cases"]]
    on_page = page.locator("dd[data-case]")
    assert [on_page.nth(i).get_attribute("data-case") for i in range(on_page.count())] == [
        c["state"] for c in cases
    ]
    board = report["cases"]
    for kind, counted in (("Klacht", "complaints"), ("Beroep bij de CBE", "appeals")):
        mine = [c["state"] for c in cases if c["kind"] == kind]
        assert mine.count("gegrond") <= board[counted]["upheld"]
        assert mine.count("ongegrond") <= board[counted]["rejected"]
        assert mine.count("niet-ontvankelijk") <= board[counted]["inadmissible"]
    assert len([c for c in cases if c["kind"] == "Inzage"]) <= board["inspections"]["filed"]
    assert {"niet-ontvankelijk", "ongegrond"} <= {c["state"] for c in cases}, "the tiny year has both"


NOT_SAT = {"notPresent": "niet verschenen", "notStarted": "niet begonnen", "notFinished": "niet afgemaakt"}


def test_a_student_who_did_not_turn_up_reads_so_not_no_grade_yet(rehearsed, open_page) -> None:  # type: ignore[no-untyped-def]
    portal = rehearsed.json("portal.json")
    page = open_page(rehearsed.pages / f"studentenportaal-{portal['day']}.html").page
    cards = page.locator("div.result")
    results = [r for s in portal["students"] for r in s["results"]]
    absent = [i for i, r in enumerate(results) if r["attendance"] == "notPresent" and r["grade"] is None]
    assert absent, "the tiny year has students who did not turn up"
    for i in absent:
        card = cards.nth(i)
        assert card.locator('[data-field="grade"]').inner_text() == "niet verschenen"
        text = card.inner_text()
        assert f"zitting van {long_date(results[i]['sitting_date'])}" in text and "afgenomen op" not in text
        if results[i]["status"] == "voorlopig":
            assert "Je was niet aanwezig bij deze zitting; daarom is er geen cijfer." in text
            assert "De beoordeling is nog niet binnen" not in text


def test_portal_for_one_student(rehearsed, open_page, screenshot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    portal = rehearsed.json("portal.json")
    student = max(portal["students"], key=lambda s: (len(s["results"]), s["student_number"]))
    opened = open_page(render_portal(portal, tmp_path, student_number=student["student_number"]))
    page = opened.page
    assert page.locator("section.student h2").inner_text().startswith(student["name"])
    grades = page.locator('div.result [data-field="grade"]').all_inner_texts()
    assert len(grades) == len(student["results"])
    for r, shown in zip(student["results"], grades, strict=True):
        if r["grade"] in (None, ""):
            assert shown == NOT_SAT.get(r["attendance"], "nog geen cijfer")
        else:
            assert shown == grade(r["grade"])
    screenshot(opened, "studentenportaal-tiny", docs=False)


def test_walkthrough_page_from_the_asset(rehearsed, open_page, screenshot) -> None:  # type: ignore[no-untyped-def]
    [path] = sorted(rehearsed.pages.glob("uitleg-*.html"))
    opened = open_page(path)
    page = opened.page
    assert opened.console == []
    assert page.locator("h1").inner_text() == "Van afname tot definitief resultaat"
    variants = page.locator("section.variant")
    assert variants.count() == 2
    assert [variants.nth(i).get_attribute("data-variant") for i in range(2)] == ["1", "2"]
    for i in range(2):
        steps = variants.nth(i).locator("ol.steps li")
        codes = [steps.nth(j).get_attribute("data-step") for j in range(steps.count())]
        assert codes[0] == "sitting" and "flow3" in codes and "definitive" in codes
    _charts_visible(page, 1)
    screenshot(opened, "uitleg")


def test_oke_explain_for_any_result_of_the_rehearsal(rehearsed, open_page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from oke_core.reports import trace
    from oke_core.store import Store

    with (rehearsed.folder / "results.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["status"] != "quarantined"]
    chosen = rows[len(rows) // 2]["association_id"]
    result = CliRunner().invoke(
        app, ["explain", chosen, "--out", str(tmp_path), "--rehearsal", str(rehearsed.folder)]
    )
    assert result.exit_code == 0, result.output
    path = Path(result.output.strip())
    assert path == tmp_path / f"uitleg-{chosen}.html"
    store = Store.open(f"sqlite:///{rehearsed.folder / 'krs.sqlite'}")
    try:
        expected = trace(store, chosen)
    finally:
        store.close()
    opened = open_page(path)
    mine = opened.page.locator(f'section.variant[data-association="{chosen}"]')
    assert mine.locator("ol.steps li").count() == len(expected["steps"])
    assert mine.locator("table.log tbody tr").count() == len(expected["log"])
    assert opened.page.locator("section.variant").count() == 2
    assert opened.console == []


def test_the_walkthrough_speaks_dutch_to_examiners(rehearsed, open_page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Statuses, outcomes, rules and grades in words a trainer reads out, not the codes of the log."""
    from oke_core.lifecycle import Status

    with (rehearsed.folder / "results.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["status"] == "definitive" and r["grade"]]
    words = [r for r in rows if r["grade"] in ("passed", "failed", "satisfactory", "good", "insufficient")]
    numbers = [r for r in rows if r["variant"] == "1" and r["cut_score_known_on"] and "." in r["grade"]]
    assert words and numbers
    codes = {str(s) for s in Status} | {"applied", "duplicate", "quarantined", "body@", "version:"}
    codes |= {"after_cut_score", "supplier_final", "fixed_working_days_after_sitting"}
    for row in (words[0], numbers[0]):
        done = CliRunner().invoke(
            app,
            ["explain", row["association_id"], "--out", str(tmp_path), "--rehearsal", str(rehearsed.folder)],
        )
        assert done.exit_code == 0, done.output
        page = open_page(Path(done.output.strip())).page
        mine = page.locator(f'section.variant[data-association="{row["association_id"]}"]')
        steps, log = mine.locator("ol.steps").inner_text(), mine.locator("table.log").inner_text()
        assert "Definitief vastgesteld (" in steps
        for code in codes:  # the words between the arrows and in the steps are Dutch
            assert f" {code} " not in f" {steps} ".replace("\n", " "), code
            assert f"→ {code}" not in log and f"{code} →" not in log, code
        assert "→ definitief vastgesteld" in log
    assert f"cijfer {numbers[0]['grade'].replace('.', ',')}" in steps


def test_oke_explain_refuses_unknown_results_and_bad_options(rehearsed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    unknown = runner.invoke(
        app,
        [
            "explain",
            "00000000-0000-4000-8000-000000000000",
            "--out",
            str(tmp_path),
            "--rehearsal",
            str(rehearsed.folder),
        ],
    )
    assert unknown.exit_code == 2
    assert "has no result in this KRS store" in unknown.output
    neither = runner.invoke(app, ["explain", "x", "--out", str(tmp_path)])
    assert neither.exit_code == 2 and "exactly one of --db URL or --rehearsal DIR" in neither.output
    empty = runner.invoke(app, ["explain", "x", "--out", str(tmp_path), "--rehearsal", str(tmp_path)])
    assert empty.exit_code == 2 and "no KRS database here" in empty.output
    typo = tmp_path / "typo.sqlite"
    mistyped = runner.invoke(app, ["explain", "x", "--out", str(tmp_path), "--db", f"sqlite:///{typo}"])
    assert mistyped.exit_code == 2 and "no such store file" in mistyped.output
    assert not typo.exists()  # nothing made on the way
    assert "Traceback" not in unknown.output + neither.output + empty.output + mistyped.output


def test_beoordelen_policy_sends_no_student_mail(rehearsed) -> None:  # type: ignore[no-untyped-def]
    assert (rehearsed.folder / "notifications.jsonl").read_text(encoding="utf-8") == ""
    assert list((rehearsed.pages / "outbox").glob("*.eml")) == []


def test_eduarte_letters_from_a_real_replay(eduarte, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from oke_core.pages.letters import add_result_dates
    from oke_core.reports import notifications
    from oke_core.store import models

    notes = add_result_dates(notifications(eduarte.store, eduarte.policy, eduarte.until), eduarte.store)
    assert notes, "the Eduarte policy notifies students of new provisional results"
    paths = write_outbox(notes, tmp_path / "outbox")
    assert len(paths) == len(notes) == len({p.name for p in paths})
    stored = {r["association_id"]: r for r in eduarte.store.rows(models.Result)}
    template_lines = [line for line in eduarte.policy.notification_template.splitlines() if line.strip()]
    absent = 0
    for note, path in zip(notes, paths, strict=True):
        with path.open("rb") as fh:
            msg = BytesParser(policy=email_policy.default).parse(fh)
        assert msg["To"].addresses[0].addr_spec == note["to"]
        body = msg.get_content()
        for line in template_lines:
            assert line in body
        assert f"Geregistreerd op:    {long_date(note['date'])}" in body
        result = stored[note["association_id"]]
        # The dates the student reads are the ones KRS keeps for this result.
        assert f"Inzage of klacht:    tot en met {long_date(result['complaint_deadline'])}" in body
        if result["establishment_due"] > result["complaint_deadline"]:
            assert f"Definitief:          op {long_date(result['establishment_due'])}" in body
        else:  # never a definitive date inside the complaint window
            assert f"na afloop van de klachttermijn, dus na {long_date(result['complaint_deadline'])}" in body
        assert result["complaint_deadline"] > date.fromisoformat(note["date"])
        if result["attendance"] == "notPresent" and result["grade"] is None:  # not "no grade yet"
            assert "Voorlopig resultaat: niet verschenen, geen cijfer" in body
            absent += 1
    assert absent, "the tiny year has students who did not turn up"
    again = write_outbox(notes, tmp_path / "again")
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


def test_eduarte_portal_shows_the_complaint_window(eduarte, open_page, screenshot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from oke_core.reports import portal_view

    # A day inside the marking period: some results are provisional with an open complaint window.
    day = eduarte.until
    for _ in range(60):
        portal = portal_view(eduarte.store, eduarte.policy, day)
        results = [r for s in portal["students"] for r in s["results"]]
        open_windows = [
            r
            for r in results
            if r["status"] == "voorlopig" and r["complaint_until"] and r["complaint_until"] >= day.isoformat()
        ]
        if open_windows:
            break
        day -= timedelta(days=1)
    assert open_windows
    opened = open_page(render_portal(portal, tmp_path))
    text = opened.page.locator("main").inner_text()
    for r in open_windows:
        assert f"mogelijk tot en met {long_date(r['complaint_until'])}" in text
    assert opened.console == []
    # One student's view, as the documentation shows it: the one with the most results that day.
    student = max(
        (s for s in portal["students"] if any(r in open_windows for r in s["results"])),
        key=lambda s: (len(s["results"]), s["student_number"]),
    )
    single = open_page(render_portal(portal, tmp_path, student_number=student["student_number"]))
    assert single.page.locator("div.result").count() == len(student["results"])
    screenshot(single, "studentenportaal")


def test_oke_explain_on_postgresql(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same walkthrough from a KRS store on PostgreSQL (`--db URL --scenario NAME`)."""
    import os

    import pytest

    from oke_core.policy import load_policy
    from oke_core.replay import replay
    from oke_core.reports import results_rows
    from oke_core.store import Store
    from oke_sim.simulation import simulate

    url = os.environ.get("OKE_TEST_PG_URL")
    if not url:
        pytest.skip("OKE_TEST_PG_URL not set (scripts/test.sh starts PostgreSQL and sets it)")
    scenario = f"pages_explain_{os.getpid()}"
    done = simulate("tiny", out_dir=tmp_path / "sim")
    store = Store.open(url, schema=f"oke_{scenario}")
    try:
        store.drop_all()
        store.close()
        store = Store.open(url, schema=f"oke_{scenario}")
        until = date.fromisoformat(done.simulated_until)
        replay(store, tmp_path / "sim", load_policy("beoordelen"), until=until)
        chosen = next(r["association_id"] for r in results_rows(store) if r["status"] == "definitive")
        result = CliRunner().invoke(
            app, ["explain", chosen, "--out", str(tmp_path / "out"), "--db", url, "--scenario", scenario]
        )
        assert result.exit_code == 0, result.output
        html = (tmp_path / "out" / f"uitleg-{chosen}.html").read_text(encoding="utf-8")
        assert f'data-association="{chosen}"' in html and "Definitief vastgesteld" in html
        missing = CliRunner().invoke(app, ["explain", chosen, "--out", str(tmp_path), "--db", url])
        assert missing.exit_code == 2 and "needs --scenario NAME" in missing.output
    finally:
        store.drop_all()
        store.close()


def test_pages_of_a_rehearsal_are_reproducible(rehearsed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Rendering the rehearsal's report data again gives the asset's files byte for byte."""
    from oke_core.pages import render_daily_control, render_exam_board
    from oke_core.pages.explain import explain
    from oke_core.store import Store

    report = rehearsed.json("compliance.json")
    control = rehearsed.json("daily_control.json")
    portal = rehearsed.json("portal.json")
    again = [
        render_exam_board(report, tmp_path),
        render_daily_control(control, tmp_path),
        render_portal(portal, tmp_path),
    ]
    [walk] = sorted(rehearsed.pages.glob("uitleg-*.html"))
    store = Store.open(f"sqlite:///{rehearsed.folder / 'krs.sqlite'}")
    try:
        again.append(explain(store, walk.name[len("uitleg-") : -len(".html")], tmp_path))
    finally:
        store.close()
    for path in again:
        assert path.read_bytes() == (rehearsed.pages / path.name).read_bytes(), path.name


def test_log_errors_are_explained_in_dutch_to_the_exam_office(rehearsed, open_page) -> None:  # type: ignore[no-untyped-def]
    """Every kind of error the tiny year logs reads as a Dutch sentence first on the control page."""
    from oke_core.pages import render_daily_control
    from oke_core.pages.labels import ERROR_RULES
    from oke_core.policy import load_policy
    from oke_core.reports import daily_control
    from oke_core.reports.counts import log_level
    from oke_core.store import Store

    store = Store.open(f"sqlite:///{rehearsed.folder / 'krs.sqlite'}")
    try:
        errors = [e for e in store.log() if log_level(e) == "error" and e["rule"]]
        assert errors, "the tiny year logs errors (late complaints, refused steps)"
        assert {e["rule"] for e in errors} <= set(ERROR_RULES)
        first = errors[0]
        control = daily_control(store, load_policy("beoordelen"), date.fromisoformat(first["at"][:10]))
    finally:
        store.close()
    page = open_page(render_daily_control(control, rehearsed.folder / "control-check")).page
    shown = page.locator("#fouten tbody tr").all_inner_texts()
    assert shown and any(ERROR_RULES[first["rule"]] in row for row in shown), shown
