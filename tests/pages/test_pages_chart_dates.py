"""The walkthrough timeline with steps or deadlines that carry no date (trace data from JSON)."""

from __future__ import annotations

from oke_core.pages import charts


def test_timeline_leaves_undated_steps_and_deadlines_off_the_axis() -> None:
    lanes = [
        {
            "label": "Variant 1",
            "steps": [{"date": "2026-09-14"}, {"date": None}, {"date": "2026-09-14"}, {"date": ""}],
            "deadlines": [
                {"date": "2026-09-28", "label": "Invoer"},
                {"date": None, "label": "Vaststelling"},
                {"label": "Beroep"},
            ],
        }
    ]
    svg = charts.timeline(lanes)
    assert svg.startswith("<svg")
    # steps 1 and 3 share a day; step 2 has no date: its number is skipped, not reused
    assert "1·3" in svg
    assert "Invoer" in svg
    assert "Vaststelling" not in svg and "Beroep" not in svg


def test_timeline_without_any_date_still_renders() -> None:
    svg = charts.timeline([{"label": "Variant 2", "steps": [{"date": None}], "deadlines": []}])
    assert svg.startswith("<svg") and "Variant 2" in svg
