"""The mappings pages, through the pages' own request handling (sign-in, CSRF, roles, headers) over a real firm
on Azurite with its own local Xero: the code a held bill waits on is listed first; Xero's lists are read on
demand; setting the code to one of Xero's accounts releases the bill, the next import's empty PMS row does not
undo it, and the next run posts it; a value Xero lacks is refused by its field; CSV out and back in; a bad
file is refused whole with each row and field; viewers and forged forms change nothing; PMS codes are
escaped; WCAG 2.2 AA by axe-core, with and without errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from urllib.parse import unquote

import pytest

from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State
from cynare.presentation.pages.web import PageResponse
from cynare.service_layer.posting.run import PostingStatus
from tests.a11y import A11yReport
from tests.batches import merge
from tests.e2e.test_posting_night import Firm, bill_rows, invoices_numbered, uk_mappings, uk_night
from tests.pages.conftest import Visit

pytestmark = pytest.mark.azurite

Axe = Callable[..., A11yReport]
PAGE = "/mappings/UK"
SCRIPT_CODE = "<img src=x onerror=alert(1)>"  # a PMS nominal code: printable, no / | # ? \ ~, so the PMS may send it


def text(response: PageResponse) -> str:
    return response.body.decode("utf-8")


def notice_of(response: PageResponse) -> str:
    assert response.status == 303, (response.status, text(response)[:2000])
    location = dict(response.headers)["Location"]
    found = re.search(r"[?&]notice=([^&]*)", location)
    assert found, location
    return unquote(found.group(1))


def row_headings(page: str) -> list[str]:
    """Each table row's heading, as read: "Nominal code 4999 not mapped: 1 document held"."""
    cells = re.findall(r'<th scope="row">(.*?)</th>', page, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", cell)).split()) for cell in cells]


def state_of(firm: Firm, firm_id: str, dataset: str = "bills") -> State:
    return firm.documents("UK")[DocKey(dataset, firm_id)].state


@pytest.fixture
def firm(page_firm: Firm) -> Firm:
    """UK connected to its own local Xero, its night imported: bill B5 held on nominal 4999."""
    page_firm.connect("UK")
    page_firm.night({"UK": uk_night()})
    assert state_of(page_firm, "B5") is State.WAITING
    return page_firm


def refresh(firm: Firm, visit: Visit) -> str:
    return notice_of(visit(firm.app, f"{PAGE}/refresh", method="POST"))


def test_the_held_code_is_first_and_mapping_it_releases_the_bill_which_then_posts(firm: Firm, visit: Visit) -> None:
    index = visit(firm.app, "/mappings")
    assert index.status == 200
    assert re.search(r'<th scope="row">UK</th>\s*<td class="number">1</td>\s*<td class="number">1</td>', text(index))

    page = text(visit(firm.app, PAGE))
    first = row_headings(page)[0]
    assert first == "Nominal code 4999 not mapped: 1 document held", row_headings(page)[:3]
    assert "Not read from Xero yet" in page and "Refresh from Xero to choose." in page

    assert refresh(firm, visit) == "Read from Xero: 5 accounts, 6 tax rates, 7 tracking options, 5 bank accounts."
    page = text(visit(firm.app, PAGE))
    assert '<option value="201">201 Fees</option>' in page
    assert re.search(r"Read from UK's Xero organisation on .* by Alex Admin", page)

    notice = notice_of(visit(firm.app, f"{PAGE}/set", method="POST",
                             form={"kind": "nominal", "code": "4999", "value": "201"}))  # fmt: skip
    assert notice == "Nominal code 4999 now maps to 201 Fees: 1 document held was released for posting."
    assert state_of(firm, "B5") is State.READY
    entries = [(e.who, e.action, e.detail) for e in firm.app.audit.recent(entity="UK")]
    assert ("Alex Admin", "map nominal", "nominal code 4999: not mapped -> 201") in entries
    assert (
        "Alex Admin",
        "refresh Xero lists",
        "5 accounts, 6 tax rates, 7 tracking options, 5 bank accounts",
    ) in entries

    # The PMS still sends 4999 with no Xero code: what was set here stays.
    pms = uk_mappings()
    pms["map_nominal"] = [*pms["map_nominal"], {"nominal_code": "4999"}]
    firm.night({"UK": merge(pms, bill_rows("B8", "C1", [("10.00", "2.00", "4999", "S", "LON", "LIT")]))})
    assert state_of(firm, "B5") is State.READY and state_of(firm, "B8") is State.READY
    page = text(visit(firm.app, PAGE))
    assert "no Xero value (empty in the PMS)" in page and "201 Fees, by Alex Admin on" in page

    outcome = firm.post("UK")
    assert outcome.status is PostingStatus.DONE, outcome
    assert state_of(firm, "B5") is State.POSTED
    [invoice] = invoices_numbered(firm.xero.tenant("UK"), "INV-B5")
    assert [line.account_code for line in invoice.lines] == ["201"]


def test_a_value_xero_lacks_is_refused_by_its_field_and_the_page_meets_wcag(firm: Firm, visit: Visit, axe: Axe) -> None:
    refresh(firm, visit)
    axe(visit(firm.app, PAGE), name="mappings-uk")
    refused = visit(firm.app, f"{PAGE}/set", method="POST", form={"kind": "nominal", "code": "4999", "value": "999"})
    assert refused.status == 400
    page = text(refused)
    assert '<select id="value-focus" name="value" aria-invalid="true" aria-describedby="value-focus-error">' in page
    assert re.search(
        r'<p class="error" id="value-focus-error">&#39;999&#39; is not one of UK&#39;s Xero accounts', page
    )
    assert '<a href="#value-focus">Nominal code 4999</a>' in page
    assert state_of(firm, "B5") is State.WAITING
    assert not [e for e in firm.app.audit.recent(entity="UK") if e.action.startswith("map")]
    axe(refused, name="mappings-uk-value-refused")


def test_focusing_one_code_shows_it_first(firm: Firm, visit: Visit, axe: Axe) -> None:
    axe(visit(firm.app, "/mappings"), name="mappings-index")
    page = text(visit(firm.app, PAGE, query={"kind": "nominal", "code": "4000"}))
    assert '<h2 id="focus">Nominal code 4000</h2>' in page
    assert row_headings(page)[0] == "Nominal code 4000"
    assert row_headings(page).count("Nominal code 4000") == 1


def test_export_then_import_changes_nothing_and_a_bad_row_is_refused_whole(firm: Firm, visit: Visit, axe: Axe) -> None:
    refresh(firm, visit)
    exported = visit(firm.app, f"{PAGE}/export.csv")
    headers = dict(exported.headers)
    assert exported.status == 200 and exported.content_type.startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="mappings-UK-\d{4}-\d{2}-\d{2}\.csv"', headers["Content-Disposition"])
    body = exported.body.decode("utf-8-sig")
    assert "nominal,4999,,,," in body.splitlines()
    back = visit(firm.app, f"{PAGE}/import", method="POST", files={"file": exported.body})
    assert notice_of(back) == "The file changed nothing: every mapping in it was already in place."

    bad = body.replace("nominal,4999,,", "nominal,4999,201,").replace("vat,S,OUTPUT2", "vat,S,OUTPUT9")
    refused = visit(firm.app, f"{PAGE}/import", method="POST", files={"file": bad.encode()})
    assert refused.status == 400
    page = text(refused)
    row = body.splitlines().index(next(line for line in body.splitlines() if line.startswith("vat,S,"))) + 1
    assert f"<li>row {row}, value: &#39;OUTPUT9&#39; is not one of UK&#39;s Xero tax rates" in page
    assert 'aria-describedby="csv-hint csv-errors" aria-invalid="true"' in page
    assert state_of(firm, "B5") is State.WAITING, "nothing of a refused file is applied"
    axe(refused, name="mappings-uk-csv-refused")

    good = visit(firm.app, f"{PAGE}/import", method="POST",
                 files={"file": body.replace("nominal,4999,,", "nominal,4999,201,").encode()})  # fmt: skip
    assert notice_of(good) == "1 mapping imported: 1 document held was released for posting."
    assert ("map nominal from CSV", "nominal code 4999: not mapped -> 201") in [
        (e.action, e.detail) for e in firm.app.audit.recent(entity="UK")
    ]

    removed = visit(firm.app, f"{PAGE}/remove", method="POST", form={"kind": "nominal", "code": "4999"})
    assert notice_of(removed) == (
        "What was set here for nominal code 4999 is removed: it is not mapped now; 1 document ready to post "
        "waits on it again."
    )
    assert state_of(firm, "B5") is State.WAITING


def test_a_viewer_sees_the_mappings_but_cannot_change_them(firm: Firm, visit: Visit, axe: Axe) -> None:
    refresh(firm, visit)
    viewed = visit(firm.app, PAGE, role="viewer")
    axe(viewed, name="mappings-uk-viewer")
    page = text(viewed)
    assert "Nominal code 4999" in page and "Refresh from Xero</button>" not in page and 'name="value"' not in page
    for path, form in ((f"{PAGE}/set", {"kind": "nominal", "code": "4999", "value": "201"}),
                       (f"{PAGE}/refresh", {}), (f"{PAGE}/remove", {"kind": "nominal", "code": "4000"})):  # fmt: skip
        refused = visit(firm.app, path, role="viewer", method="POST", form=form)
        assert refused.status == 403 and "Only an administrator can do this" in text(refused)
    refused = visit(firm.app, f"{PAGE}/import", role="viewer", method="POST", files={"file": b"kind,code,value\n"})
    assert refused.status == 403
    assert state_of(firm, "B5") is State.WAITING
    assert [e.who for e in firm.app.audit.recent(entity="UK")] == ["Alex Admin"]  # the refresh only


def test_a_forged_form_is_refused(firm: Firm, visit: Visit) -> None:
    refresh(firm, visit)
    form = {"kind": "nominal", "code": "4999", "value": "201"}
    assert visit(firm.app, f"{PAGE}/set", method="POST", form=form, csrf=False).status == 403
    forged = {**form, "csrf_token": "Alex Admin|1|abc.forged"}
    assert visit(firm.app, f"{PAGE}/set", method="POST", form=forged).status == 403
    assert state_of(firm, "B5") is State.WAITING


def test_a_script_in_a_pms_code_is_text(page_firm: Firm, visit: Visit) -> None:
    rows = merge(uk_night(), bill_rows("B9", "C1", [("10.00", "2.00", SCRIPT_CODE, "S", "LON", "LIT")]))
    page_firm.night({"UK": rows})
    page = text(visit(page_firm.app, PAGE))
    assert SCRIPT_CODE not in page
    assert "Nominal code &lt;img src=x onerror=alert(1)&gt;" in page
    exported = visit(page_firm.app, f"{PAGE}/export.csv").body.decode("utf-8-sig")
    assert f"nominal,{SCRIPT_CODE},,,," in exported.splitlines()


def test_refreshing_an_entity_not_connected_says_to_connect_it(page_firm: Firm, visit: Visit) -> None:
    refused = visit(page_firm.app, f"{PAGE}/refresh", method="POST")
    assert refused.status == 502
    assert "UK is not connected to a Xero organisation: connect it on the Connect page" in text(refused)
    assert visit(page_firm.app, "/mappings/XX").status == 404
