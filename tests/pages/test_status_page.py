"""The status page after a night on Azurite and the local Xero: per entity, the last import, the backlog, what
was posted, held and rejected last night, Xero's calls against the day's budget, the last reconciliation, and
two charts over 30 days, each with its words and its data table. A connection about to lapse is announced;
whatever the PMS or Xero says is shown as text; a viewer sees it all; axe finds nothing to fix."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from cynare.adapters.report_blobs import BlobReportStore
from cynare.adapters.tables.connection import open_tables
from cynare.adapters.tables.usage import TableUsage
from cynare.domain.lifecycle import State
from cynare.domain.reconciliation import DayFigure, Status
from cynare.presentation.pages.charts import difference_chart, posted_chart, posted_words
from cynare.presentation.reconciliation.formatting import status_text
from cynare.sandbox.xero.books_file import SAMPLE
from cynare.sandbox.xero.emulator import Emulator
from cynare.service_layer.pages_status import DayCount, DayDifference
from cynare.service_layer.posting.run import PostingStatus
from cynare.service_layer.xero_port import Binding, ConnectionKind, Credentials, Usage
from tests.batches import merge
from tests.e2e.test_posting_night import Firm, bill_rows, client_row, make_firm, uk_mappings, uk_night
from tests.e2e.test_reconciliation import pms_debtors
from tests.pages.conftest import Visit

REFRESH_TOKEN = "refresh-token-never-shown-9f2c"


def html(response: Any) -> str:
    text: str = response.body.decode("utf-8")
    return text


def figure(page: str, term: str) -> str:
    """The figure beside a term of a <dl class="figures">, first on the page."""
    found = re.search(rf"<dt>{re.escape(term)}</dt><dd>([^<]*)</dd>", page)
    assert found, f"{term} is not on the page"
    return found.group(1)


def section(page: str, entity: str) -> str:
    """The entity's own part of the page."""
    start = page.index(f'<section class="entity-status" aria-labelledby="entity-{entity}">')
    end = page.find("</section>", start)
    return page[start:end]


def bind_app_connection(firm: Firm, entity: str, issued: datetime) -> None:
    """An app connection (authorization code flow) whose refresh token was issued at `issued`."""
    with firm.uow.for_entity(entity) as work:
        work.connection.bind(Binding(entity, firm.xero.tenant(entity).tenant_id, "Harrow & Vance Ireland", "EUR",
                                     ConnectionKind.APP, "app-client", issued, "test"))  # fmt: skip
        assert work.connection.save_credentials(Credentials(refresh_token=REFRESH_TOKEN, refresh_issued_at=issued))


def test_after_a_night_the_page_shows_the_night_the_calls_the_reconciliation_and_the_charts(
    page_firm: Firm, visit: Visit, axe: Callable[..., Any]
) -> None:
    firm, app = page_firm, page_firm.app
    firm.xero.set_lock_date("UK", date(2026, 10, 31))
    night = merge(uk_night(), bill_rows("B9", "C2", [("70.00", "14.00", "4000", "S", "LON", "LIT")], day="2026-10-15"))
    firm.night({"UK": merge(night, {"debtors": pms_debtors(night)})})
    firm.connect("UK")
    assert firm.post("UK").status is PostingStatus.DONE
    reconciled = app.reconcile()
    now = datetime.now(UTC)
    today = now.date()
    # Three days ago: a difference in GBP and a few documents posted, as earlier nights leave them.
    app.history.record([DayFigure("UK", "GBP", today - timedelta(days=3), Decimal("120.00"), Decimal("120.00"),
                                  Status.UNEXPLAINED)])  # fmt: skip
    with firm.uow.for_entity("UK") as work:
        work.usage.add(today - timedelta(days=3), Usage(calls=9, posted=4))
        usage = work.usage.for_day(today)
    bind_app_connection(firm, "IE", now - timedelta(days=50))
    states = [stored.state for stored in firm.documents("UK").values()]
    posted, held, rejected = (states.count(s) for s in (State.POSTED, State.WAITING, State.REJECTED))
    assert usage.posted == posted > 20  # the posting run counted what it put in Xero
    assert held >= 1 and rejected == 1  # B5 on an unmapped nominal; B9 before Xero's lock date

    response = visit(app, "/status", role="viewer", now=now)

    assert response.status == 200
    page = html(response)
    assert "<h1>Status</h1>" in page
    uk_part = section(page, "UK")
    # Last night, the backlog, the last import
    assert figure(uk_part, "Posted to Xero") == f"{posted:,}"
    assert figure(uk_part, "Held (still waiting)") == f"{held:,}"
    assert figure(uk_part, "Rejected by Xero (still to fix)") == "1"
    assert f"Since {today.day} {today:%b %Y} at 00:00 UTC." in uk_part
    assert figure(uk_part, "Held") == f"{held:,}"
    assert figure(uk_part, "Ready to post") == "0"
    assert figure(section(page, "IE"), "Posted to Xero") == "0"
    with firm.uow.for_entity("UK") as work:
        [batch] = work.batches.all()
    assert batch.batch_id in page
    assert figure(uk_part, "Result") == "Imported"
    # Xero's calls today against the budget
    assert f"<strong>{usage.calls:,}</strong> of 5,000" in page
    assert "Posting stops at 4,800, keeping 200 for the" in page
    # The last reconciliation, its result per currency
    uk = next(e for e in reconciled.report.entities if e.entity == "UK")
    assert status_text(uk.status) in page
    assert "<caption>Reconciliation of UK by currency</caption>" in page
    assert "all clear" in page or "need a person" in page
    # What Xero refused, and why documents are held
    assert "The document date cannot be before the period lock date" in page
    assert "4999" in page
    # The charts: images with a title and a description, the same figures in words and in a table
    assert page.count('role="img"') >= 4  # UK's two charts, a posted chart for each other entity
    assert '<title id="UK-posted-title">' in page and '<desc id="UK-posted-desc">' in page
    assert f"UK posted {posted + 4:,} documents to Xero in the 30 days to" in page
    assert "<caption>Documents UK posted to Xero per day</caption>" in page
    three_days_ago = today - timedelta(days=3)
    assert f'<tr><th scope="row">{three_days_ago.day} {three_days_ago:%b %Y}</th><td class="number">4</td></tr>' in page
    assert '<title id="UK-difference-title">' in page
    assert "The difference between UK&#39;s PMS and Xero (PMS minus Xero), per currency." in page
    assert f", 120.00 on {three_days_ago.day} {three_days_ago:%b}." in page  # GBP three days ago, then today
    assert "Difference of UK, PMS minus Xero, per day and currency" in page
    # The connection about to lapse is announced at the top
    assert '<h2 id="attention-heading">Needs attention</h2>' in page
    assert page.index("Needs attention") < page.index('<h2 id="entity-UK">')
    assert "IE: Connection expiring." in page
    assert REFRESH_TOKEN not in page and app.settings.token_key not in page

    axe(response, name="status-after-a-night")


def test_one_entity_alone_and_an_entity_that_is_not_there(page_firm: Firm, visit: Visit) -> None:
    app = page_firm.app

    one = html(visit(app, "/status", query={"entity": "IE"}))
    assert "<h1>Status of IE</h1>" in one
    assert '<h2 id="entity-IE">' in one and 'id="entity-UK"' not in one
    assert "No batch has been imported for IE yet" in one
    assert "No reconciliation of IE is on record for these days" in one
    assert "No reconciliation report is kept for the last 30 days" in one
    assert '<option value="IE" selected>IE</option>' in one

    missing = visit(app, "/status", query={"entity": "<b>XX</b>"})
    assert missing.status == 404
    assert "There is no entity &lt;b&gt;XX&lt;/b&gt; in this firm: choose one of IE, UK, US." in html(missing)


def test_a_connection_lapsing_within_two_weeks_or_lapsed_is_announced(page_firm: Firm, visit: Visit) -> None:
    now = datetime.now(UTC)
    bind_app_connection(page_firm, "IE", now - timedelta(days=50))
    bind_app_connection(page_firm, "US", now - timedelta(days=61))

    page = html(visit(page_firm.app, "/status", role="viewer", now=now))

    lapses = (now - timedelta(days=50) + timedelta(days=60)).date()
    assert f"IE&#39;s Xero connection lapses on {lapses:%Y-%m-%d} unless it is used" in page
    assert "US&#39;s Xero connection lapsed on" in page and "reconnect Harrow &amp; Vance Ireland" in page
    assert page.count("Connection expiring.") == 2
    assert '<a href="/api/pages/connect?entity=IE">Reconnect on the Connect page (IE)</a>' in page
    assert "Posts to: Harrow &amp; Vance Ireland (EUR, tenant" in page
    assert REFRESH_TOKEN not in page


def books_with_a_script_contact() -> dict[str, Any]:
    """UK's organisation already has a contact named like a script, with another email than the PMS's client."""
    books: dict[str, Any] = copy.deepcopy(json.loads(SAMPLE.read_text(encoding="utf-8")))
    [uk] = [o for o in books["organisations"] if o["entity"] == "UK"]
    uk["contacts"] = [{"name": "<script>alert(1)</script>", "email": "someone-else@example.com"}]
    return books


def test_a_client_named_like_a_script_is_shown_as_text(
    tmp_path: Path, storage_connection: str, unique_name: str, make_xero_emulator: Callable[..., Emulator],
    visit: Visit,
) -> None:  # fmt: skip
    firm = make_firm(tmp_path, storage_connection, unique_name, make_xero_emulator, books=books_with_a_script_contact())
    firm.app = dataclasses.replace(
        firm.app, reports=BlobReportStore(firm.app.settings.storage, container=f"{unique_name}-reports")
    )
    rows = merge(uk_mappings(), {"clients": [client_row("K1", "<script>alert(1)</script>", "GBP")]},
                 bill_rows("B1", "K1", [("100.00", "20.00", "4000", "S", "LON", "LIT")]))  # fmt: skip
    firm.night({"UK": rows})
    firm.connect("UK")
    firm.post("UK")
    assert firm.documents("UK")
    [reason] = [s.reason for s in firm.documents("UK").values() if s.state is State.REJECTED]
    assert "<script>alert(1)</script>" in reason  # Xero's conflict names the contact

    page = html(visit(firm.app, "/status", query={"entity": "UK"}))

    assert "<script" not in page.lower()
    assert "a contact named &lt;script&gt;alert(" in page


def test_the_usage_table_keeps_the_documents_posted_each_day(page_firm: Firm) -> None:
    tables = open_tables(page_firm.app.settings.storage, create=False)
    usage = TableUsage(tables["Usage"], "UK")
    day = date(2026, 11, 30)
    usage.add(day, Usage(calls=10, posted=7))
    usage.add(day, Usage(calls=2, posted=3))
    assert usage.for_day(day) == Usage(calls=12, posted=10)
    assert usage.for_day(day - timedelta(days=1)).posted == 0


def test_the_charts_draw_what_their_words_say() -> None:
    days = [date(2026, 11, 1) + timedelta(days=n) for n in range(30)]
    counts = [DayCount(day, 0) for day in days[:-2]] + [DayCount(days[-2], 12), DayCount(days[-1], 3)]
    chart = posted_chart("UK", counts)
    assert len(chart.bars) == 30 and chart.bars[-2].height > chart.bars[-1].height > 0 == chart.bars[0].height
    assert [t.label for t in chart.ticks] == ["0", "10", "20"]
    assert (
        chart.description
        == posted_words("UK", counts)
        == (
            "UK posted 15 documents to Xero in the 30 days to 30 Nov 2026: 3 documents on the last day; "
            "the most in one day was 12, on 29 Nov 2026."
        )
    )
    assert (
        posted_words("US", [DayCount(d, 0) for d in days])
        == "US posted no documents to Xero in the 30 days to 30 Nov 2026."
    )

    gbp = tuple(DayDifference(d, None) for d in days[:25]) + tuple(
        DayDifference(d, Decimal(v))
        for d, v in zip(days[25:], ["10.00", "250.00", "0.00", "0.00", "5.50"], strict=True)
    )
    eur = tuple(DayDifference(d, Decimal("0") if n % 2 else None) for n, d in enumerate(days))
    lines = difference_chart("UK", {"GBP": gbp, "EUR": eur})
    by_currency = {line.currency: line for line in lines.lines}
    assert len(by_currency["GBP"].segments) == 1 and len(by_currency["GBP"].points) == 5
    assert by_currency["EUR"].segments == () and len(by_currency["EUR"].points) == 15  # no two days in a row
    assert by_currency["GBP"].dash != by_currency["EUR"].dash and by_currency["GBP"].marker != by_currency["EUR"].marker
    assert lines.description == (
        "The difference between UK's PMS and Xero (PMS minus Xero), per currency. "
        "GBP: 5.50 on 30 Nov, 10.00 on 26 Nov; largest 250.00 on 27 Nov. "
        "EUR: 0.00 on each of the 15 days on record."
    )
