"""The day's reconciliation as an Adaptive Card message for a Teams channel, posted through a Workflows webhook.

The card is the summary a person glances at: the firm, the day and whether it is all clear; what needs
someone; per entity its status in words with a symbol (colour only repeats it), per currency the
difference, the unexplained part and the change since yesterday, and counts by cause. The email holds
every line. Version 1.5, the highest Teams renders; valid against the official schema (the Teams
stand-in checks every post against it).

Teams refuses a message over 28 KB. The card keeps well under that: when the whole report does not fit,
the most urgent entities keep their detail and the rest get one line each, then a count ("and 12 more
entities: see the email").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from cynare.domain.reconciliation import (
    Cause,
    CurrencyReconciliation,
    EntityReconciliation,
    ReconciliationReport,
    Status,
)
from cynare.presentation.reconciliation.attention import attention_items
from cynare.presentation.reconciliation.formatting import (
    change_text,
    count_text,
    day_text,
    moment_text,
    money_text,
    status_label,
    status_text,
)

CARD_VERSION = "1.5"  # the highest Adaptive Card version Teams renders
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_LIMIT = 28 * 1024  # bytes: Teams refuses a larger message
# Teams counts the message as it renders it, not our JSON, and refusals are reported well before the
# documented limit: the card aims at this many bytes of compact JSON.
CARD_BUDGET = 20 * 1024
MOST_CURRENCIES = 6  # per entity; the email has the rest
MOST_ATTENTION_ITEMS = 8
MOST_NOTICES = 5
MOST_NOTES = 3
LONGEST_TEXT = 300  # characters of a problem, notice or note

# The status's tone (formatting.StatusLabel.tone) as an Adaptive Card text colour.
_COLOURS = {"good": "Good", "info": "Accent", "bad": "Attention", "warn": "Warning"}
_URGENCY = {Status.NOT_RECONCILED: 0, Status.UNEXPLAINED: 1, Status.EXPLAINED: 2, Status.BALANCED: 3}
_ALL_CLEAR = "✓"
_NEEDS_SOMEONE = "✗"
_NOTICE = "!"


def reconciliation_card(report: ReconciliationReport) -> dict[str, Any]:
    """The whole Teams message: `{"type": "message", "attachments": [{... "content": <the card>}]}`."""
    entities = sorted(report.entities, key=lambda e: (_URGENCY[e.status], not e.needs_someone))
    total = len(entities)
    detailed = _most_that_fit(lambda k: _message(report, entities, detailed=k, listed=total), total)
    if detailed is not None:
        return _message(report, entities, detailed=detailed, listed=total)
    listed = _most_that_fit(lambda k: _message(report, entities, detailed=0, listed=k), total)
    return _message(report, entities, detailed=0, listed=listed or 0)


def message_size(message: dict[str, Any]) -> int:
    """Bytes of the message as posted (compact UTF-8 JSON, as cynare.adapters.teams_webhook sends it)."""
    return len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _most_that_fit(build: Callable[[int], dict[str, Any]], most: int) -> int | None:
    """The largest k in 0..most whose message fits the budget, or None; the size grows with k."""
    if message_size(build(most)) <= CARD_BUDGET:
        return most
    if message_size(build(0)) > CARD_BUDGET:
        return None
    fits, too_big = 0, most
    while too_big - fits > 1:
        middle = (fits + too_big) // 2
        if message_size(build(middle)) <= CARD_BUDGET:
            fits = middle
        else:
            too_big = middle
    return fits


def _message(
    report: ReconciliationReport, entities: Sequence[EntityReconciliation], *, detailed: int, listed: int
) -> dict[str, Any]:
    body = [*_heading(report), *_notices(report), *_attention(report)]
    body += [_entity_block(report, entity) for entity in entities[:detailed]]
    body += _entity_lines(entities[detailed:listed], first=detailed == 0)
    left = len(entities) - max(detailed, listed)
    if left:
        more = count_text(left, "more entity", "more entities")
        body.append(_text(f"And {more}: see the email for every entity.", isSubtle=True))
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "fallbackText": _summary(report),
        "body": body,
    }
    if report.status_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the status page", "url": report.status_url}]
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def _summary(report: ReconciliationReport) -> str:
    verdict = "all clear" if report.all_clear else "needs attention"
    return f"Reconciliation for {report.firm}, {day_text(report.day)}: {verdict}."


def _heading(report: ReconciliationReport) -> list[dict[str, Any]]:
    made_at = report.made_at.astimezone(UTC) if report.made_at.tzinfo else report.made_at.replace(tzinfo=UTC)
    if report.all_clear:
        verdict = _text(f"{_ALL_CLEAR} All clear: nothing needs anyone today.", weight="Bolder", color="Good")
    else:
        needing = sum(1 for entity in report.entities if entity.needs_someone)
        of = count_text(len(report.entities), "entity", "entities")
        verdict = _text(f"{_NEEDS_SOMEONE} Needs attention: {needing} of {of}.", weight="Bolder", color="Attention")
    counts = [
        f"{status_text(status)}: {sum(1 for e in report.entities if e.status is status)}"
        for status in Status
        if any(e.status is status for e in report.entities)
    ]
    made = f"PMS debtors against Xero, made {moment_text(made_at)}."
    return [
        _text(f"Reconciliation for {report.firm}, {day_text(report.day)}", style="heading", size="Large"),
        verdict,
        _text(f"{made} {'; '.join(counts)}" if counts else made, isSubtle=True, spacing="None"),
    ]


def _notices(report: ReconciliationReport) -> list[dict[str, Any]]:
    """What went wrong delivering earlier reports, e.g. yesterday's email that could not be sent."""
    if not report.notices:
        return []
    shown = report.notices[:MOST_NOTICES]
    items = [_text("Notices", weight="Bolder")]
    items += [_text(f"{_NOTICE} {_clip(notice)}") for notice in shown]
    if len(report.notices) > len(shown):
        items.append(_text(f"And {len(report.notices) - len(shown)} more: see the email.", isSubtle=True))
    return [{"type": "Container", "style": "warning", "items": items}]


def _attention(report: ReconciliationReport) -> list[dict[str, Any]]:
    items = attention_items(report)
    if not items:
        return []
    shown = items[:MOST_ATTENTION_ITEMS]
    lines = [f"- {_clip(item)}" for item in shown]
    if len(items) > len(shown):
        lines.append(f"- and {len(items) - len(shown)} more: see the email")
    return [_text("Needs someone", weight="Bolder"), _text("\n".join(lines), spacing="Small")]


def _entity_block(report: ReconciliationReport, entity: EntityReconciliation) -> dict[str, Any]:
    label = status_label(entity.status)
    compared = ""
    if entity.as_at is not None and entity.as_at != report.day:
        compared = f", against the PMS debtors of {day_text(entity.as_at)}"
    items: list[dict[str, Any]] = [
        _text(_entity_name(entity), weight="Bolder"),
        _text(f"{status_text(entity.status)}{compared}", color=_COLOURS[label.tone], spacing="None"),
    ]
    if entity.problem:
        items.append(_text(f"Why: {_clip(entity.problem)}"))
    facts = [_currency_fact(report, entity, currency) for currency in entity.currencies[:MOST_CURRENCIES]]
    if entity.control is not None:
        control = entity.control
        value = f"{status_text(control.status)}, difference {money_text(control.difference, control.currency)}"
        facts.append(_fact("Xero control account", value))
    if facts:
        items.append({"type": "FactSet", "facts": facts})
    hidden = len(entity.currencies) - MOST_CURRENCIES
    if hidden > 0:
        items.append(
            _text(f"And {count_text(hidden, 'more currency', 'more currencies')}: see the email.", isSubtle=True)
        )
    causes = _cause_facts(entity.currencies)
    if causes:
        items += [_text("By cause", weight="Bolder", spacing="Small"), {"type": "FactSet", "facts": causes}]
    items += [_text(f"Note: {_clip(note)}", isSubtle=True) for note in entity.notes[:MOST_NOTES]]
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": items}


def _entity_name(entity: EntityReconciliation) -> str:
    return f"{entity.entity}: {entity.organisation}" if entity.organisation else entity.entity


def _currency_fact(
    report: ReconciliationReport, entity: EntityReconciliation, currency: CurrencyReconciliation
) -> dict[str, str]:
    code = currency.currency
    change = change_text(report.change_since_yesterday(entity.entity, code), code)
    value = (
        f"{status_text(currency.status)}: difference {money_text(currency.difference, code)}, "
        f"not explained {money_text(currency.unexplained, code)}; since yesterday {change}"
    )
    return _fact(code, value)


def _cause_facts(currencies: Sequence[CurrencyReconciliation]) -> list[dict[str, str]]:
    """Per cause, in the order of Cause: how many in each currency and what they come to."""
    per_cause: dict[Cause, list[str]] = {}
    for currency in currencies:
        for total in currency.by_cause:
            amount = money_text(total.amount, currency.currency)
            per_cause.setdefault(total.cause, []).append(f"{count_text(total.count, 'item', 'items')}, {amount}")
    return [_fact(_cause_words(cause), "; ".join(per_cause[cause])) for cause in Cause if cause in per_cause]


def _cause_words(cause: Cause) -> str:
    """The cause with a capital first letter; the rest as written ("Rejected by Xero")."""
    words = str(cause.value)
    return words[:1].upper() + words[1:]


def _entity_lines(entities: Sequence[EntityReconciliation], *, first: bool) -> list[dict[str, Any]]:
    if not entities:
        return []
    title = "Entities" if first else "Other entities"
    facts = [_fact(entity.entity, status_text(entity.status)) for entity in entities]
    return [_text(title, weight="Bolder", separator=True), {"type": "FactSet", "facts": facts}]


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _fact(title: str, value: str) -> dict[str, str]:
    return {"title": title, "value": value}


def _clip(text: str) -> str:
    return text if len(text) <= LONGEST_TEXT else text[: LONGEST_TEXT - 1] + "…"
