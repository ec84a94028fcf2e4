"""The Teams card: the Adaptive Card 1.5 message Teams shows, valid against the official schema, always
under Teams' 28 KB, with every status in words and a symbol and money in the currency's own format."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from typing import Any

import pytest

from cynare.adapters import teams_webhook
from cynare.domain.reconciliation import Cause, ReconciliationReport
from cynare.presentation.reconciliation import card as card_module
from cynare.presentation.reconciliation.card import CARD_BUDGET, message_size, reconciliation_card
from cynare.sandbox.teams import message as stand_in_message
from cynare.sandbox.teams.card_schema import card_problems
from tests.unit.presentation.report_fixtures import (
    FIRM,
    IE_NOTE,
    NOTICE,
    STATUS_URL,
    US_PROBLEM,
    all_clear_report,
    busy_report,
    client,
    currency_reconciliation,
    explanation,
)


def _card(message: dict[str, Any]) -> dict[str, Any]:
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    return dict(attachment["content"])


def _texts(element: Any) -> list[str]:
    """Every text a person reads on the card (TextBlocks and facts), in order."""
    if isinstance(element, list):
        return [text for item in element for text in _texts(item)]
    if not isinstance(element, dict):
        return []
    found = []
    if element.get("type") == "TextBlock":
        found.append(element["text"])
    for fact in element.get("facts", []):
        found.append(f"{fact['title']}: {fact['value']}")
    for key in ("body", "items"):
        found += _texts(element.get(key, []))
    return found


def _facts(content: dict[str, Any]) -> dict[str, str]:
    facts: dict[str, str] = {}

    def walk(element: Any) -> None:
        if isinstance(element, list):
            for item in element:
                walk(item)
        elif isinstance(element, dict):
            for fact in element.get("facts", []):
                facts.setdefault(fact["title"], fact["value"])
            walk(element.get("body", []))
            walk(element.get("items", []))

    walk(content)
    return facts


def _assert_valid_and_small(message: dict[str, Any]) -> None:
    assert message["type"] == "message"
    content = _card(message)
    assert content["version"] == "1.5"
    assert card_problems(content) == []
    assert message_size(message) <= CARD_BUDGET < stand_in_message.MESSAGE_LIMIT


# --- all clear ------------------------------------------------------------------------------------
def test_an_all_clear_report_says_so_first_and_names_every_entity_with_its_status():
    message = reconciliation_card(all_clear_report())

    _assert_valid_and_small(message)
    content = _card(message)
    texts = _texts(content)
    assert texts[0] == f"Reconciliation for {FIRM}, 30 Nov 2026"
    assert content["body"][0]["style"] == "heading"
    assert texts[1] == "✓ All clear: nothing needs anyone today."
    assert "30 Nov 2026 at 06:15 UTC" in texts[2]
    assert "Needs someone" not in texts
    for name in ("UK: Harper & Vale (UK) Ltd", "IE: Harper & Vale Ireland DAC", "US: Harper & Vale US Inc"):
        assert name in texts
    assert "✓ Balanced" in texts  # US: the symbol and the words, not a colour alone
    assert content["fallbackText"] == f"Reconciliation for {FIRM}, 30 Nov 2026: all clear."
    assert content["actions"] == [{"type": "Action.OpenUrl", "title": "Open the status page", "url": STATUS_URL}]


def test_every_status_line_has_a_symbol_and_words_beside_its_colour():
    content = _card(reconciliation_card(busy_report()))
    coloured = [el for el in _blocks(content) if "color" in el]
    assert coloured
    for block in coloured:
        symbol, _, words = block["text"].partition(" ")
        assert symbol in {"✓", "≈", "✗", "!"}
        assert words[0].isupper()


def _blocks(element: Any) -> list[dict[str, Any]]:
    if isinstance(element, list):
        return [block for item in element for block in _blocks(item)]
    if not isinstance(element, dict):
        return []
    own = [element] if element.get("type") == "TextBlock" else []
    return own + _blocks(element.get("body", [])) + _blocks(element.get("items", []))


# --- a busy day -----------------------------------------------------------------------------------
def test_a_report_with_every_cause_counts_each_cause_in_each_currency():
    report = busy_report()
    message = reconciliation_card(report)

    _assert_valid_and_small(message)
    facts = _facts(_card(message))
    # UK has every cause; each is counted with its amount in its currency.
    assert facts["Not yet posted"] == "1 item, GBP 300.00; 1 item, EUR 1,250.00"
    assert facts["Entered in Xero only"] == "2 items, GBP -339.00"
    assert facts["Cancelled in the PMS, still live in Xero"] == "1 item, GBP -450.00"
    assert facts["Exchange difference within tolerance"] == "1 item, GBP 0.03; 1 item, EUR 0.02"
    assert facts["Rejected by Xero"] == "1 item, GBP 1,200.00"  # "Xero" keeps its capital
    in_report = {total.cause for currency in report.entities[0].currencies for total in currency.by_cause}
    assert len(in_report) >= 9
    for cause in in_report:
        assert cause.value[:1].upper() + cause.value[1:] in facts


def test_every_cause_there_is_gets_its_own_count_whatever_causes_the_model_grows():
    report = busy_report()
    clients = [
        client(f"C{n}", f"Client {n}", "GBP", str(10 + n), "0.00", explanation(cause, str(10 + n), f"bill B{n}"))
        for n, cause in enumerate(Cause)
    ]
    uk = dataclasses.replace(report.entities[0], currencies=(currency_reconciliation("GBP", 50, "0", clients),))

    message = reconciliation_card(dataclasses.replace(report, entities=(uk,)))

    _assert_valid_and_small(message)
    facts = _facts(_card(message))
    for n, cause in enumerate(Cause):
        assert facts[cause.value[:1].upper() + cause.value[1:]] == f"1 item, GBP {10 + n}.00"


def test_each_currency_shows_its_difference_unexplained_part_and_change_since_yesterday():
    report = busy_report()
    uk_gbp = report.entities[0].currencies[0]
    change = report.change_since_yesterday("UK", "GBP")
    assert change is not None

    facts = _facts(_card(reconciliation_card(report)))

    assert uk_gbp.unexplained == Decimal("87.66")
    assert facts["GBP"] == (
        f"✗ Difference not explained: difference GBP {uk_gbp.difference:,.2f}, not explained GBP 87.66; "
        f"since yesterday GBP +{change:,.2f}"
    )
    assert facts["EUR"].startswith("≈ Difference explained: difference EUR 1,250.02, not explained EUR 0.00;")
    assert facts["Xero control account"] == "✓ Balanced, difference GBP 0.00"


def test_the_most_urgent_come_first_with_the_notice_and_what_needs_someone():
    texts = _texts(_card(reconciliation_card(busy_report())))

    assert texts[1] == "✗ Needs attention: 3 of 3 entities."
    assert texts.index("Notices") < texts.index("Needs someone") < texts.index("US: Harper & Vale US Inc")
    assert f"! {NOTICE}" in texts
    assert texts.index("US: Harper & Vale US Inc") < texts.index("UK: Harper & Vale (UK) Ltd")
    assert f"Why: {US_PROBLEM}" in texts
    assert f"Note: {IE_NOTE}" in texts
    needs = texts[texts.index("Needs someone") + 1]
    assert needs.splitlines()[:3] == [
        "- US not reconciled",
        "- UK GBP 87.66 unexplained",
        "- IE control account off by EUR 40.00",
    ]


def test_without_a_status_page_there_is_no_action():
    content = _card(reconciliation_card(dataclasses.replace(busy_report(), status_url="")))
    assert "actions" not in content
    assert card_problems(content) == []


def test_money_is_decimal_rounded_half_up_with_a_minus_sign_never_float():
    report = busy_report()
    odd = currency_reconciliation("GBP", 10, "0", [
        client("C9", "Half Cent Ltd", "GBP", "0.00", "1234.565",
               explanation(Cause.ONLY_IN_XERO, "-1234.565", "Xero invoice INV-1", "")),
    ])  # fmt: skip
    uk = dataclasses.replace(report.entities[0], currencies=(odd,))
    facts = _facts(_card(reconciliation_card(dataclasses.replace(report, entities=(uk,), history={}))))

    # float(1234.565) is 1234.56499999...: a float would print 1,234.56.
    assert facts["Entered in Xero only"] == "1 item, GBP -1,234.57"
    assert facts["GBP"].endswith("since yesterday no figure for the day before")


# --- many entities --------------------------------------------------------------------------------
def _many(count: int, notices: int = 0) -> ReconciliationReport:
    report = busy_report()
    entities = tuple(
        dataclasses.replace(
            report.entities[i % 3],
            entity=f"E{i:02d}",
            organisation=f"Harper & Vale Regional Practice Number {i} Limited",
        )
        for i in range(count)
    )
    long_notices = tuple(f"Notice {i}: " + "the email could not be sent; " * 40 for i in range(notices))
    return dataclasses.replace(report, entities=entities, notices=long_notices or report.notices)


def test_forty_entities_stay_valid_and_under_28_kb_and_every_entity_is_accounted_for():
    message = reconciliation_card(_many(40))

    _assert_valid_and_small(message)
    texts = _texts(_card(message))
    detailed = [t for t in texts if t.startswith("E") and ": Harper & Vale Regional" in t]
    listed = [t for t in texts if re.match(r"E\d\d: [✓≈✗!] ", t)]
    assert detailed, "the most urgent entities keep their detail"
    assert listed, "the rest get a line each"
    assert len(detailed) + len(listed) == 40
    assert "Other entities" in texts
    # the most urgent in detail: every entity not reconciled (a third of them) comes before any other
    assert all(t.startswith(("E02", "E05", "E08", "E11")) for t in detailed[:4])


def test_hundreds_of_entities_and_long_notices_are_cut_to_fit_and_say_where_the_rest_is():
    message = reconciliation_card(_many(600, notices=9))

    _assert_valid_and_small(message)
    texts = _texts(_card(message))
    more = [t for t in texts if t.startswith("And ") and "more entities: see the email" in t]
    assert len(more) == 1
    assert "And 4 more: see the email." in texts  # notices beyond the first five
    assert all(len(t) <= 2 + card_module.LONGEST_TEXT for t in texts if t.startswith("! Notice"))


def test_an_entity_with_many_currencies_shows_the_first_and_counts_the_rest():
    report = busy_report()
    codes = ["GBP", "EUR", "USD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK"]
    currencies = tuple(currency_reconciliation(code, 5, "100.00", []) for code in codes)
    uk = dataclasses.replace(report.entities[0], currencies=currencies)

    message = reconciliation_card(dataclasses.replace(report, entities=(uk,), history={}))

    _assert_valid_and_small(message)
    facts = _facts(_card(message))
    assert [code for code in codes if code in facts] == codes[: card_module.MOST_CURRENCIES]
    assert "And 3 more currencies: see the email." in _texts(_card(message))


@pytest.mark.parametrize("limit", [teams_webhook.MESSAGE_LIMIT, stand_in_message.MESSAGE_LIMIT])
def test_the_card_the_adapter_and_the_stand_in_agree_on_teams_limit(limit):
    assert card_module.MESSAGE_LIMIT == limit == 28 * 1024


def test_the_size_measured_is_the_body_the_adapter_sends():
    message = reconciliation_card(busy_report())
    assert message_size(message) == len(teams_webhook.encoded_message(message))
