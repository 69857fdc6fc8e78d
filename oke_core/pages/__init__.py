"""People-facing pages (Dutch): exam board report, daily log control, student portal, trainer
walkthrough, and the student e-mails. Render functions take report data from `oke_core.reports`."""

from oke_core.pages.daily_control import render_daily_control
from oke_core.pages.exam_board import render_exam_board
from oke_core.pages.letters import write_outbox
from oke_core.pages.portal import render_portal
from oke_core.pages.smtp import send_outbox
from oke_core.pages.walkthrough import render_walkthrough

__all__ = [
    "render_daily_control",
    "render_exam_board",
    "render_portal",
    "render_walkthrough",
    "send_outbox",
    "write_outbox",
]
