"""The daily reconciliation email: its subject and its HTML, from the report.

The subject says at once whether anyone need open it: "Cynare Link: all clear for 30 Nov 2026", or
the most urgent thing ("Cynare Link: UK GBP 1,234.56 unexplained, 30 Nov 2026") and how many more.
The HTML (templates/reconciliation_email.html.j2) is laid out for Outlook and phones, and meets
WCAG 2.2 AA; every value a client, Xero or the PMS wrote is escaped by Jinja's autoescape.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from cynare.domain.reconciliation import ReconciliationReport
from cynare.presentation.reconciliation.attention import attention_items
from cynare.presentation.reconciliation.email_view import email_view
from cynare.presentation.reconciliation.formatting import day_text

TEMPLATE = "reconciliation_email.html.j2"


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("cynare.presentation.reconciliation", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def reconciliation_subject(report: ReconciliationReport) -> str:
    day = day_text(report.day)
    if report.all_clear:
        return f"Cynare Link: all clear for {day}"
    items = attention_items(report) or ["needs attention"]
    more = f" and {len(items) - 1} more" if len(items) > 1 else ""
    return f"Cynare Link: {items[0]}{more}, {day}"


def reconciliation_email(report: ReconciliationReport, chart_content_id: str | None) -> tuple[str, str]:
    """(subject, html). `chart_content_id` is the Content-ID of the attached trend PNG, None when none
    is attached: the trend is then given in words only."""
    view = email_view(report, chart_content_id)
    html = _environment().get_template(TEMPLATE).render(view=view)
    return reconciliation_subject(report), html
