"""The code location: `dagster dev` / `dg dev` from the repository root load ``defs`` from here."""

from __future__ import annotations

import importlib.util

import dagster as dg

from assets.chain import CHAIN_ASSETS
from assets.checks import ASSET_CHECKS
from assets.inbox import vendor_delivery
from assets.reporting import DAY_ASSETS, REPORT_ASSETS
from assets.resources import default_resources
from assets.schedules import daily_log_control_schedule
from assets.sensors import vendor_inbox_sensor


def _page_assets() -> tuple[list, list]:
    """The rendered pages (assets/pages.py, another engineer's module) when it exists."""
    if importlib.util.find_spec("assets.pages") is None:
        return [], []
    from assets import pages

    return list(pages.PAGE_ASSETS), list(getattr(pages, "PAGE_DAY_ASSETS", []))


PAGE_ASSETS, PAGE_DAY_ASSETS = _page_assets()

REHEARSAL_ASSETS = [*CHAIN_ASSETS, *REPORT_ASSETS, *PAGE_ASSETS]
ALL_ASSETS = [*REHEARSAL_ASSETS, vendor_delivery, *DAY_ASSETS, *PAGE_DAY_ASSETS]

defs = dg.Definitions(
    assets=ALL_ASSETS,
    asset_checks=ASSET_CHECKS,
    schedules=[daily_log_control_schedule],
    sensors=[vendor_inbox_sensor],
    resources=default_resources(),
)
