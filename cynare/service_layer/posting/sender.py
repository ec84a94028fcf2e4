"""Every call to Xero goes through here: the retry policy carried out, the entity's budget kept.

A write is sent with its Idempotency-Key and sent again with the same key while the policy says
so; an outcome that stays unknown raises `OutcomeUnknown`, and the documents stay `posting` until
the next run looks them up in Xero. Stopping the whole entity (day limit, connection broken) is
`EntityStopped`; running out of this run's time or calls is `RunOver`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cynare.domain.retry_policy import Action, rule_for, wait_before
from cynare.service_layer.xero_port import IssueKind, Problem, XeroApi, XeroCallFailed, XeroReply


class EntityStopped(Exception):
    def __init__(self, kind: IssueKind, message: str, until: datetime | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.until = until


class RunOver(Exception):
    """This run's time or calls are spent; the entity's message is queued again to go on."""

    def __init__(self, reason: str, delay_seconds: float = 0.0) -> None:
        super().__init__(reason)
        self.delay_seconds = delay_seconds


class OutcomeUnknown(Exception):
    """A write kept failing in a way that leaves its outcome unknown: look it up before sending afresh."""


class Refused(Exception):
    def __init__(self, messages: tuple[str, ...], text: str) -> None:
        super().__init__(text)
        self.messages = messages or (text,)


@dataclass(frozen=True, slots=True)
class Budget:
    """How much of the organisation's day a run may use, and for how long it may run."""

    day_limit: int = 5_000  # Xero's per organisation (1,000 on the Starter tier)
    day_reserve: int = 200  # calls a day kept for the reconciliation's reads
    run_calls: int = 1_000  # calls one run may make before it queues the entity again
    run_seconds: float = 600.0
    time_scale: float = 1.0  # the local Xero's: our own back-off waits shrink with it (Retry-After is real already)


class Sender:
    def __init__(
        self,
        xero: XeroApi,
        budget: Budget,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None],
        calls_today: int = 0,
    ) -> None:
        self.calls_today = calls_today  # made earlier today, by this entity's earlier runs
        self.xero = xero
        self.budget = budget
        self.clock = clock
        self.sleep = sleep
        self.started = clock()
        self.calls_at_start = xero.usage.calls

    def write(self, method: str, path: str, body: Any, key: str, params: Mapping[str, str] | None = None) -> XeroReply:
        return self._send(method, path, params=params, body=body, idempotency_key=key)

    def read(self, path: str, params: Mapping[str, str] | None = None, since: datetime | None = None) -> XeroReply:
        return self._send("GET", path, params=params, if_modified_since=since)

    def _check_budget(self) -> None:
        usage = self.xero.usage
        if usage.day_remaining is not None and usage.day_remaining <= self.budget.day_reserve:
            raise EntityStopped(
                IssueKind.DAY_LIMIT,
                f"{self.xero.entity} has {usage.day_remaining} of its day's Xero calls left, the reserve kept for "
                "the reconciliation: posting goes on when Xero's day window resets",
            )
        used_today = self.calls_today + usage.calls - self.calls_at_start
        if used_today >= self.budget.day_limit - self.budget.day_reserve:
            raise EntityStopped(
                IssueKind.DAY_LIMIT,
                f"{self.xero.entity} made {used_today} Xero calls today, its day's {self.budget.day_limit} less the "
                f"{self.budget.day_reserve} kept for the reconciliation: posting goes on tomorrow",
            )
        if usage.calls - self.calls_at_start >= self.budget.run_calls:
            raise RunOver(f"this run made its {self.budget.run_calls} calls")
        if self.clock() - self.started >= timedelta(seconds=self.budget.run_seconds):
            raise RunOver(f"this run used its {self.budget.run_seconds:.0f} seconds")

    def _send(self, method: str, path: str, **kwargs: Any) -> XeroReply:
        attempt = 0
        while True:
            self._check_budget()
            attempt += 1
            try:
                return self.xero.call(method, path, **kwargs)
            except XeroCallFailed as failure:
                self._after_failure(failure, attempt, writing=method != "GET")

    def _after_failure(self, failure: XeroCallFailed, attempt: int, *, writing: bool) -> None:
        rule = rule_for(failure.problem.value)
        if rule.action is Action.RECORD_REFUSAL:
            raise Refused(failure.messages, str(failure)) from failure
        if rule.action is Action.STOP_UNTIL_TOMORROW:
            self.xero.usage.failed_throttled += 1
            until = self.clock() + timedelta(seconds=failure.retry_after) if failure.retry_after else None
            raise EntityStopped(IssueKind.DAY_LIMIT, _day_message(self.xero.entity, until), until) from failure
        if rule.action is Action.STOP_ENTITY:
            raise EntityStopped(IssueKind.CONNECTION_BROKEN, str(failure)) from failure
        if attempt >= rule.attempts:
            if failure.problem in {Problem.MINUTE_LIMIT, Problem.CONCURRENT_LIMIT, Problem.APP_MINUTE_LIMIT}:
                # Not a failure of the documents: the run hands over and the entity is queued again.
                raise RunOver(f"Xero kept answering 429 ({failure.problem.value})", failure.retry_after or 60.0)
            if writing and rule.outcome_unknown:
                raise OutcomeUnknown(str(failure)) from failure
            raise RunOver(f"Xero did not answer: {failure}", 300.0) from failure
        wait = wait_before(failure.problem.value, attempt, failure.retry_after)
        self.sleep(wait * self.budget.time_scale if rule.action is Action.BACK_OFF_AND_RETRY else wait)


def _day_message(entity: str, until: datetime | None) -> str:
    when = f" at {until:%Y-%m-%d %H:%M} UTC" if until else " when Xero's day window resets"
    return f"{entity} reached Xero's daily call limit: posting stops and goes on{when}"
