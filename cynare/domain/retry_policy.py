"""What the poster does when a call to Xero does not answer as asked: one table, problem to action.

Every failure the Xero adapter reports names its problem (cynare.service_layer.xero_port.Problem);
this module is the only place that decides what follows. Nothing here sleeps or calls: the
poster carries the action out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    WAIT_AND_RETRY = "wait as long as Xero says, then send the same call again"
    BACK_OFF_AND_RETRY = "wait a little longer each time, then send the same call with the same Idempotency-Key"
    STOP_UNTIL_TOMORROW = "stop the entity until its day window resets, and say so"
    STOP_ENTITY = "stop the entity: a person must reconnect it or correct its binding"
    RECORD_REFUSAL = "record Xero's refusal on the documents sent, with the action a person takes"


@dataclass(frozen=True, slots=True)
class Rule:
    action: Action
    attempts: int  # calls in all, the first included, before the poster gives up for this run
    outcome_unknown: bool = False  # a write may have been carried out: look it up before it is sent afresh


# The one table. Keys are Problem values (xero_port.Problem), so the domain needs nothing from the ports.
RULES: dict[str, Rule] = {
    "minute": Rule(Action.WAIT_AND_RETRY, attempts=6),
    "concurrent": Rule(Action.WAIT_AND_RETRY, attempts=6),
    "appminute": Rule(Action.WAIT_AND_RETRY, attempts=6),
    "day": Rule(Action.STOP_UNTIL_TOMORROW, attempts=1),
    # Xero keeps an Idempotency-Key 6 minutes: retries inside a run replay the first answer if it saved.
    "server error": Rule(Action.BACK_OFF_AND_RETRY, attempts=4, outcome_unknown=True),
    "timeout": Rule(Action.BACK_OFF_AND_RETRY, attempts=4, outcome_unknown=True),
    "dropped": Rule(Action.BACK_OFF_AND_RETRY, attempts=4, outcome_unknown=True),
    "unauthorized": Rule(Action.STOP_ENTITY, attempts=1),  # the adapter has refreshed the token once already
    "forbidden": Rule(Action.STOP_ENTITY, attempts=1),
    "not found": Rule(Action.RECORD_REFUSAL, attempts=1),
    "refused": Rule(Action.RECORD_REFUSAL, attempts=1),
}
BACK_OFF_SECONDS = (1.0, 4.0, 15.0)  # well inside the 6 minutes Xero keeps a key
WAIT_WITHOUT_RETRY_AFTER = 1.0  # a concurrent-limit 429 carries no Retry-After


def rule_for(problem: str) -> Rule:
    return RULES[problem]


def wait_before(problem: str, attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before attempt number `attempt + 1` (attempt counts from 1)."""
    rule = RULES[problem]
    if rule.action is Action.WAIT_AND_RETRY:
        return retry_after if retry_after is not None else WAIT_WITHOUT_RETRY_AFTER
    return BACK_OFF_SECONDS[min(attempt, len(BACK_OFF_SECONDS)) - 1]
