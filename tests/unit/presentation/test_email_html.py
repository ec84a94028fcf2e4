"""The reconciliation email: its subject, its structure for Outlook, phones and screen readers, and
every figure, cause and action the report holds, escaped and never netted away."""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from cynare.domain.reconciliation import (
    ACTION,
    Cause,
    ClientDifference,
    EntityReconciliation,
    ReconciliationReport,
    Status,
)
from cynare.presentation.reconciliation.chart import trend_description
from cynare.presentation.reconciliation.email_html import reconciliation_email, reconciliation_subject
from cynare.presentation.reconciliation.email_view import DETAIL_LINES_PER_ENTITY, email_view
from cynare.presentation.reconciliation.formatting import (
    STATUS_LABELS,
    UNEXPLAINED_ACTION,
    amount_text,
    change_text,
    day_text,
    moment_text,
    money_text,
)
from tests.unit.presentation.report_fixtures import (
    DAY,
    FIRM,
    FORMULA_NAME,
    IE_NOTE,
    MADE_AT,
    NOTICE,
    SCRIPT_NAME,
    US_PROBLEM,
    all_clear_report,
    busy_report,
    client,
    currency_reconciliation,
    explanation,
    large_report,
    without_history,
    yen_report,
)

CID = "trend-30-nov@cynare"


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class _Tree(HTMLParser):
    """Just enough of a DOM: every element in document order, with its own and its descendants' text."""

    VOID = frozenset({"meta", "img", "br", "link", "input", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.all: list[Element] = []
        self.stack: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        if self.stack:
            self.stack[-1].children.append(element)
        self.all.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data


def parse(page: str) -> list[Element]:
    tree = _Tree()
    tree.feed(page)
    return tree.all


def escape_(text: str) -> str:
    """As Jinja's autoescape writes it."""
    return str(escape(text))


def data_table(page: str, caption: str) -> Element:
    """The data table whose caption starts with `caption`."""
    return next(
        table
        for table in parse(page)
        if table.tag == "table"
        and any(c.tag == "caption" and words(c.text).startswith(caption) for c in table.children)
    )


def words(text: str) -> str:
    return " ".join(text.split())


def single_entity(*lines: ClientDifference, compared: int = 100) -> ReconciliationReport:
    gbp = currency_reconciliation("GBP", compared, "1000.00", lines)
    entity = EntityReconciliation("UK", "Harper & Vale (UK) Ltd", "GBP", DAY, (gbp,))
    return ReconciliationReport(FIRM, DAY, MADE_AT, (entity,))


def test_the_busy_report_has_every_cause_so_these_tests_see_them_all() -> None:
    report = busy_report()
    found = {t.cause for e in report.entities for c in e.currencies for t in c.by_cause}
    assert found == set(Cause)


# --- the subject -----------------------------------------------------------------------------------


def test_the_subject_of_a_balanced_day_says_all_clear() -> None:
    subject, _ = reconciliation_email(all_clear_report(), CID)
    assert subject == "Cynare Link: all clear for 30 Nov 2026"


def test_the_subject_names_the_unexplained_amount() -> None:
    report = single_entity(client("C1", "Northwind Traders", "GBP", "2234.56", "1000.00"))
    assert reconciliation_subject(report) == "Cynare Link: UK GBP 1,234.56 unexplained, 30 Nov 2026"


def test_the_subject_puts_the_most_urgent_first_and_counts_the_rest() -> None:
    subject, _ = reconciliation_email(busy_report(), CID)
    # US not reconciled; UK GBP unexplained; IE's control account; three currencies with causes to act on
    assert subject == "Cynare Link: US not reconciled and 5 more, 30 Nov 2026"


def test_an_exchange_difference_within_tolerance_alone_is_still_all_clear() -> None:
    report = single_entity(
        client(
            "C1",
            "Dupont SARL",
            "GBP",
            "100.03",
            "100.00",
            explanation(Cause.EXCHANGE_DIFFERENCE, "0.03", "client balance"),
        )
    )
    assert report.all_clear
    assert reconciliation_subject(report) == "Cynare Link: all clear for 30 Nov 2026"


def test_causes_someone_must_act_on_are_not_all_clear_though_fully_explained() -> None:
    report = single_entity(
        client("C1", "Rossi SpA", "GBP", "1250.00", "0.00", explanation(Cause.NOT_POSTED, "1250.00", "bill B2001"))
    )
    assert reconciliation_subject(report) == "Cynare Link: UK GBP 1 difference to act on, 30 Nov 2026"


# --- the HTML for Outlook and phones --------------------------------------------------------------


def test_the_page_has_a_language_a_title_a_viewport_and_no_script_or_outside_css() -> None:
    _, page = reconciliation_email(busy_report(), CID)
    elements = parse(page)
    root = next(e for e in elements if e.tag == "html")
    assert root.attrs["lang"] == "en-GB"
    assert [words(e.text) for e in elements if e.tag == "title"] == [f"Reconciliation for 30 Nov 2026: {FIRM}"]
    viewport = [e for e in elements if e.tag == "meta" and e.attrs.get("name") == "viewport"]
    assert viewport and "width=device-width" in viewport[0].attrs["content"]
    assert not [e for e in elements if e.tag in ("script", "link", "style", "iframe", "form")]
    assert "max-width:640px" in page
    assert '<!--[if mso]><table role="presentation" width="640"' in page  # the fixed frame for Outlook's Word engine


def test_layout_tables_are_presentation_and_data_tables_have_captions_and_scoped_headers() -> None:
    _, page = reconciliation_email(busy_report(), CID)
    tables = [e for e in parse(page) if e.tag == "table"]
    layout = [t for t in tables if t.attrs.get("role") == "presentation"]
    data = [t for t in tables if t.attrs.get("role") != "presentation"]
    assert layout and data
    for table in layout:
        assert not [c for c in table.children if c.tag in ("caption", "thead", "th")]
    for table in data:
        captions = [c for c in table.children if c.tag == "caption"]
        assert len(captions) == 1 and words(captions[0].text)
        headers = _descendants(table, "th")
        assert headers
        assert all(th.attrs.get("scope") in ("col", "row") for th in headers), [th.attrs for th in headers]


def _descendants(element: Element, tag: str) -> list[Element]:
    found = []
    for child in element.children:
        if child.tag == tag:
            found.append(child)
        found += _descendants(child, tag)
    return found


def test_headings_go_down_one_level_at_a_time() -> None:
    _, page = reconciliation_email(busy_report(), CID)
    levels = [int(e.tag[1]) for e in parse(page) if re.fullmatch(r"h[1-6]", e.tag)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    titles = [words(e.text) for e in parse(page) if e.tag == "h2"]
    assert titles == ["Summary", "Notices", "Trend over the last 30 days", "Detail"]


def test_every_status_is_in_words_with_its_symbol_not_by_colour_alone() -> None:
    _, page = reconciliation_email(busy_report(), CID)
    text = words(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    for status in (Status.BALANCED, Status.EXPLAINED, Status.UNEXPLAINED, Status.NOT_RECONCILED):
        label = STATUS_LABELS[status]
        assert f"{label.symbol} {label.words}" in text, status
    assert "! Needs attention:" in text


# --- what the report says --------------------------------------------------------------------------


def test_the_summary_comes_before_the_detail_and_gives_each_entitys_figures() -> None:
    report = busy_report()
    _, page = reconciliation_email(report, CID)
    text = words(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert text.index("Summary") < text.index("UK: PMS against Xero, by currency") < text.index("Detail")
    uk = data_table(page, "UK: PMS against Xero")
    rows = {words(r.children[0].text): [words(c.text) for c in r.children[1:]] for r in _descendants(uk, "tr")}
    assert rows["Figure"] == ["GBP", "EUR"]
    assert rows["PMS debtors"] == ["GBP 1,291,570.58", "EUR 212,705.12"]
    assert rows["Xero receivables"] == ["GBP 1,288,161.89", "EUR 211,455.10"]
    assert rows["Difference"] == ["GBP 3,408.69", "EUR 1,250.02"]
    assert rows["Explained"] == ["GBP 3,321.03", "EUR 1,250.02"]
    assert rows["Unexplained"] == ["GBP 87.66", "EUR 0.00"]
    gbp = report.entities[0].currencies[0]
    assert gbp.explained + gbp.unexplained == gbp.difference
    assert rows["Change since yesterday"] == ["GBP +3,408.69", "EUR +208.35"]
    assert rows["Clients compared"] == ["5,214", "420"]


def test_counts_by_cause_include_the_unexplained_on_their_own_line() -> None:
    _, page = reconciliation_email(busy_report(), CID)
    causes = data_table(page, "UK: differences by cause")
    rows = [[words(c.text) for c in r.children] for r in _descendants(causes, "tr")][1:]
    assert ["Entered in Xero only", "2", "GBP -339.00"] in rows
    assert ["✗ Unexplained", "3", "GBP 87.66"] in rows
    assert ["Not yet posted", "1", "EUR 1,250.00"] in rows
    assert len(rows) == len(Cause) + 1 + 2  # every cause in GBP, the unexplained, two causes in EUR


def test_unexplained_parts_are_their_own_rows_never_netted_between_clients() -> None:
    _, page = reconciliation_email(busy_report(), CID)
    detail = data_table(page, "UK GBP: 12 clients")
    unexplained = [
        [words(c.text) for c in r.children] for r in _descendants(detail, "tr") if "Unexplained" in r.children[0].text
    ]
    # +87.66, +50.00 and -50.00: the two fifties are each shown, not set off against each other
    assert sorted(row[2] for row in unexplained) == ["GBP -50.00", "GBP 50.00", "GBP 87.66"]
    assert all(row[0] == "✗ Unexplained" for row in unexplained)


def test_each_explanation_is_in_the_detail_with_its_document_and_detail() -> None:
    report = busy_report()
    _, page = reconciliation_email(report, CID)
    text = words(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    for entity in report.entities:
        for currency in entity.currencies:
            for line in currency.clients:
                for part in line.explanations:
                    assert words(f"{part.document} {part.detail}") in text
    assert "C1001 · Smith & Jones LLP difference: PMS GBP 1,500.00 less Xero GBP 1,000.00 GBP 500.00" in text


def test_the_action_for_each_cause_is_given_once_per_currency() -> None:
    report = busy_report()
    _, page = reconciliation_email(report, CID)
    for cause in Cause:
        currencies = sum(1 for e in report.entities for c in e.currencies if any(t.cause is cause for t in c.by_cause))
        assert page.count(escape_(ACTION[cause])) == currencies, cause
    assert page.count(escape_(UNEXPLAINED_ACTION)) == 1  # only UK GBP has an unexplained part


def test_an_entity_not_reconciled_shows_why() -> None:
    _, page = reconciliation_email(busy_report(), CID)
    text = words(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert f"US · Harper & Vale US Inc Status: ! Not reconciled . Why it was not reconciled: {US_PROBLEM}" in text


def test_the_control_account_check_notes_and_notices_are_shown() -> None:
    _, page = reconciliation_email(busy_report(), CID)
    text = words(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert (
        "Control account 610 Trade Debtors: trial balance EUR 402,618.40, open receivables EUR 402,578.40. "
        "✗ Difference not explained : they differ by EUR 40.00, more than the tolerance of EUR 1.00."
    ) in text
    assert "Control account 610 Accounts Receivable: trial balance GBP 1,289,544.10" in text
    assert "✓ Balanced : they agree." in text
    assert f"Note: {IE_NOTE}" in text
    assert NOTICE in text


def test_hostile_client_names_are_escaped() -> None:
    _, page = reconciliation_email(busy_report(), CID)
    assert SCRIPT_NAME not in page
    assert escape_(SCRIPT_NAME) in page
    assert FORMULA_NAME not in page  # its quotes are escaped too
    assert escape_(FORMULA_NAME) in page
    assert not [e for e in parse(page) if e.tag == "script"]


def test_the_chart_is_an_inline_image_whose_alt_text_tells_the_trend() -> None:
    report = busy_report()
    _, page = reconciliation_email(report, CID)
    images = [e for e in parse(page) if e.tag == "img"]
    assert len(images) == 1
    assert images[0].attrs["src"] == f"cid:{CID}"
    assert images[0].attrs["alt"] == trend_description(report)
    assert "UK GBP: 0.00 on 1 Nov, 3,408.69 today; largest 3,900.00 on 18 Nov." in images[0].attrs["alt"]
    assert (images[0].attrs["width"], images[0].attrs["height"]) == ("600", "200")


def test_without_an_attached_chart_the_trend_is_given_in_words() -> None:
    report = busy_report()
    _, page = reconciliation_email(report, None)
    assert not [e for e in parse(page) if e.tag == "img"]
    assert escape_(trend_description(report)) in page


def test_without_history_there_is_no_image_even_with_a_content_id() -> None:
    _, page = reconciliation_email(without_history(busy_report()), CID)
    assert "<img" not in page
    assert "No trend yet" in page


def test_an_all_clear_day_says_so_first() -> None:
    _, page = reconciliation_email(all_clear_report(), CID)
    text = words(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert text.index("✓ All clear: nothing needs anyone today.") < text.index("Summary")
    assert "Needs attention" not in text
    # the quiet exchange difference is still in the detail, for the record
    assert "Exchange difference within tolerance client balance within the EUR tolerance of 0.05 EUR 0.02" in text


def test_money_keeps_the_currency_decimals_with_separators_and_a_minus_sign() -> None:
    _, page = reconciliation_email(yen_report(), CID)
    text = words(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert "JPY 1,250,000" in text and "JPY 255,000" in text
    assert "JPY 250,000.00" not in text
    _, busy = reconciliation_email(busy_report(), CID)
    assert "GBP -450.00" in busy


def test_the_detail_is_cut_whole_clients_at_a_time_and_points_to_the_workbook() -> None:
    report = large_report(compared=30_000, differing=1_200)
    view = email_view(report, CID)
    for detail, entity in zip(view.details, report.entities, strict=True):
        lines = sum(len(c.explanations) + (1 if c.unexplained else 0) for cur in entity.currencies for c in cur.clients)
        shown = sum(len(block.lines) for cur in detail.currencies for block in cur.clients)
        assert detail.total == lines > DETAIL_LINES_PER_ENTITY
        assert shown == detail.shown <= DETAIL_LINES_PER_ENTITY
        assert shown > DETAIL_LINES_PER_ENTITY - 3  # a client has at most three lines here
    _, page = reconciliation_email(report, CID)
    text = words(html.unescape(re.sub(r"<[^>]+>", " ", page)))
    first = view.details[0]
    assert (
        f"The first {first.shown:,} of {first.total:,} lines are shown here; "
        f"the attached workbook has every one, on the sheet “UK”."
    ) in text


@pytest.mark.parametrize("report", [busy_report(), all_clear_report(), yen_report()], ids=["busy", "clear", "yen"])
def test_totals_shown_agree_with_the_model(report: ReconciliationReport) -> None:
    view = email_view(report, CID)
    for summary, entity in zip(view.entities, report.entities, strict=True):
        if not entity.currencies:
            assert summary.figures == ()
            continue
        by_label = {row.label: row.values for row in summary.figures}
        for index, currency in enumerate(entity.currencies):
            shown = Decimal(by_label["Difference"][index].split(" ")[1].replace(",", ""))
            assert shown == currency.difference


# --- figures in words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1234.5", "GBP", "1,234.50"),
        ("-1234567.891", "EUR", "-1,234,567.89"),
        ("-0.001", "GBP", "0.00"),  # never "-0.00"
        ("1250000", "JPY", "1,250,000"),
        ("-12.3456", "KWD", "-12.346"),
        ("0.005", "USD", "0.01"),  # half up, as Xero rounds
    ],
)
def test_amounts_have_the_currencys_decimals_separators_and_a_minus_sign(
    amount: str, currency: str, expected: str
) -> None:
    assert amount_text(Decimal(amount), currency) == expected
    assert money_text(Decimal(amount), currency) == f"{currency} {expected}"


def test_the_change_since_yesterday_is_signed_or_says_why_there_is_none() -> None:
    assert change_text(Decimal("12.5"), "GBP") == "GBP +12.50"
    assert change_text(Decimal("-12.5"), "GBP") == "GBP -12.50"
    assert change_text(Decimal(0), "GBP") == "no change"
    assert change_text(None, "GBP") == "no figure for the day before"


def test_dates_read_the_same_whatever_the_locale() -> None:
    assert day_text(DAY) == "30 Nov 2026"
    assert moment_text(MADE_AT) == "30 Nov 2026 at 06:15 UTC"
