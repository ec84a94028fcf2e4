"""Everything the report is made of, rendered at once from one ReconciliationReport."""

from __future__ import annotations

from cynare.domain.reconciliation import ReconciliationReport
from cynare.presentation.reconciliation.card import reconciliation_card
from cynare.presentation.reconciliation.chart import trend_chart_png
from cynare.presentation.reconciliation.email_html import reconciliation_email
from cynare.presentation.reconciliation.workbook import reconciliation_workbook
from cynare.service_layer.reconciliation.run import RenderedReport, Renderers


def render_report(report: ReconciliationReport, chart_id: str) -> RenderedReport:
    chart = trend_chart_png(report)
    subject, html = reconciliation_email(report, chart_id if chart else None)
    return RenderedReport(subject, html, reconciliation_workbook(report), chart, reconciliation_card(report))


RENDERERS = Renderers(report=render_report, card=reconciliation_card)
