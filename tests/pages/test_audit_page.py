"""The audit log page: every change written through the pages (PageContext.record), newest first, with when,
who, what, which entity and the detail; filtered by entity; paged; text from the PMS shown as text; a viewer
sees it; axe finds nothing to fix."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cynare.presentation.pages.context import PageContext
from cynare.presentation.pages.principal import Role, User
from cynare.presentation.pages.web import PageRequest
from cynare.service_layer.audit import AuditEntry
from tests.e2e.test_posting_night import Firm
from tests.pages.conftest import Visit

SCRIPT = "<script>alert(1)</script>"


def record(firm: Firm, who: str, at: datetime, action: str, entity: str = "", detail: str = "") -> None:
    """A change made from a page, recorded as every page records it."""
    context = PageContext(PageRequest("POST", "/somewhere"), User(who, Role.ADMIN), firm.app, firm.app.audit, at, "")
    context.record(action, entity, detail)


def rows(page: str) -> list[list[str]]:
    """The audit table's rows, each cell's text."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]  # fmt: skip


def test_the_log_lists_each_change_newest_first_with_who_and_when(
    page_firm: Firm, visit: Visit, axe: Callable[..., Any]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    record(page_firm, "Alex Admin", now - timedelta(minutes=30), "retry", "UK", "bills|B42 after the lock date moved")
    record(page_firm, "Sam Finance", now - timedelta(minutes=20), "map nominal", "IE", "4999: (none) -> 200")
    record(page_firm, "Alex Admin", now - timedelta(minutes=10), "skip", "UK",
           f"clients|K1 {SCRIPT}: entered in Xero by hand")  # fmt: skip
    record(page_firm, "Alex Admin", now - timedelta(minutes=5), "connect start")

    response = visit(page_firm.app, "/audit", role="viewer", now=now)

    assert response.status == 200
    page = response.body.decode()
    assert "<h1>Audit log</h1>" in page
    ten_ago = now - timedelta(minutes=10)
    assert rows(page) == [
        [f"{(now - timedelta(minutes=5)):%-d %b %Y, %H:%M:%S}", "Alex Admin", "connect start", "Whole firm", ""],
        [f"{ten_ago:%-d %b %Y, %H:%M:%S}", "Alex Admin", "skip", "UK",
         "clients|K1 &lt;script&gt;alert(1)&lt;/script&gt;: entered in Xero by hand"],
        [f"{(now - timedelta(minutes=20)):%-d %b %Y, %H:%M:%S}", "Sam Finance", "map nominal", "IE",
         "4999: (none) -&gt; 200"],
        [f"{(now - timedelta(minutes=30)):%-d %b %Y, %H:%M:%S}", "Alex Admin", "retry", "UK",
         "bills|B42 after the lock date moved"],
    ]  # fmt: skip
    assert f'<time datetime="{ten_ago.isoformat()}">' in page
    assert "<script" not in page.lower()
    assert "<caption>Audit log, page 1: entries 1 to 4</caption>" in page
    assert "Older entries" not in page and "Newer entries" not in page
    axe(response, name="audit-log")

    only_uk = visit(page_firm.app, "/audit", query={"entity": "UK"}, now=now).body.decode()
    assert [row[2] for row in rows(only_uk)] == ["skip", "retry"]
    assert '<option value="UK" selected>UK</option>' in only_uk
    assert "<caption>Audit log of UK, page 1: entries 1 to 2</caption>" in only_uk


def test_the_log_is_paged_fifty_entries_at_a_time(page_firm: Firm, visit: Visit) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(55):
        page_firm.app.audit.record(AuditEntry(now - timedelta(seconds=n), "Alex Admin", f"retry {n}", "UK"))
    record(page_firm, "Alex Admin", now - timedelta(hours=1), "retry", "IE")

    first = visit(page_firm.app, "/audit", query={"entity": "UK"}, now=now).body.decode()
    second = visit(page_firm.app, "/audit", query={"entity": "UK", "page": "2"}, now=now).body.decode()

    assert [row[2] for row in rows(first)] == [f"retry {n}" for n in range(50)]
    assert '<a rel="next" href="/api/pages/audit?entity=UK&amp;page=2">Older entries (page 2)</a>' in first
    assert "Newer entries" not in first
    assert [row[2] for row in rows(second)] == [f"retry {n}" for n in range(50, 55)]
    assert "<caption>Audit log of UK, page 2: entries 51 to 55</caption>" in second
    assert '<a rel="prev" href="/api/pages/audit?entity=UK&amp;page=1">Newer entries (page 1)</a>' in second
    assert "Older entries" not in second
    # Every entity: the IE entry is the 56th, on the second page
    everyone = visit(page_firm.app, "/audit", query={"page": "2"}, now=now).body.decode()
    assert [row[3] for row in rows(everyone)][-1] == "IE"
    # A page number that is not one is the first page
    for wrong in ("0", "-1", "two", "9" * 40, "²"):
        assert "page 1: entries 1 to 50" in visit(page_firm.app, "/audit", query={"page": wrong}).body.decode()
    beyond = visit(page_firm.app, "/audit", query={"page": "9"}).body.decode()
    assert "No entries on this page: the log has fewer." in beyond


def test_an_entity_that_is_not_there_is_said_beside_the_field(
    page_firm: Firm, visit: Visit, axe: Callable[..., Any]
) -> None:
    record(page_firm, "Alex Admin", datetime.now(UTC), "retry", "UK", "bills|B1")

    response = visit(page_firm.app, "/audit", query={"entity": f"X{SCRIPT}"})

    assert response.status == 400
    page = response.body.decode()
    assert '<p class="error" id="audit-entity-error">There is no entity X&lt;script&gt;alert(1)&lt;/script&gt;' in page
    assert 'aria-describedby="audit-entity-error" aria-invalid="true"' in page
    assert [row[2] for row in rows(page)] == ["retry"]  # every entity's entries, meanwhile
    axe(response, name="audit-log-unknown-entity")


def test_an_empty_log_says_what_will_show_there(page_firm: Firm, visit: Visit) -> None:
    page = visit(page_firm.app, "/audit", role="viewer").body.decode()
    assert "Nothing is in the audit log yet: every change made from these pages shows here." in page
