"""What needs someone today, most urgent first, in a few words each: the subject and the email's first line."""

from __future__ import annotations

from cynare.domain.reconciliation import QUIET_CAUSES, ReconciliationReport, Status
from cynare.presentation.reconciliation.formatting import count_text, money_text


def attention_items(report: ReconciliationReport) -> list[str]:
    """Entities not reconciled, then unexplained differences, control accounts off, then causes to act on."""
    problems: list[str] = []
    unexplained: list[str] = []
    control_off: list[str] = []
    to_act_on: list[str] = []
    for entity in report.entities:
        if entity.problem:
            problems.append(f"{entity.entity} not reconciled")
            continue
        for currency in entity.currencies:
            if currency.unexplained_clients:
                # the sum can be zero when clients offset: the count then says there is still something
                amount = money_text(currency.unexplained, currency.currency)
                unexplained.append(f"{entity.entity} {amount} unexplained")
            loud = sum(total.count for total in currency.by_cause if total.cause not in QUIET_CAUSES)
            if loud:
                to_act_on.append(
                    f"{entity.entity} {currency.currency} {count_text(loud, 'difference', 'differences')} to act on"
                )
        control = entity.control
        if control is not None and control.status is Status.UNEXPLAINED:
            control_off.append(
                f"{entity.entity} control account off by {money_text(control.difference, control.currency)}"
            )
    return problems + unexplained + control_off + to_act_on
