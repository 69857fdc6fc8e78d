"""Report data computed from the KRS store (INTERFACES.md section 11): plain, JSON-ready, deterministic.

Pages, charts and letters render this data in ``oke_core.pages``; assets and the CLI only call it.
"""

from oke_core.reports.compliance import compliance
from oke_core.reports.control import daily_control
from oke_core.reports.markdown import compliance_markdown
from oke_core.reports.portal import notifications, portal_view
from oke_core.reports.results import COLUMNS as RESULT_COLUMNS
from oke_core.reports.results import results_rows
from oke_core.reports.summary import summary
from oke_core.reports.trace import trace

__all__ = [
    "RESULT_COLUMNS",
    "compliance",
    "compliance_markdown",
    "daily_control",
    "notifications",
    "portal_view",
    "results_rows",
    "summary",
    "trace",
]
