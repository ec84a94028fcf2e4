"""Use case: what the warehouse holds for an entity, for a person: documents by state, holds and rejections by reason."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from cynare.domain.lifecycle import State
from cynare.errors import CynareError
from cynare.service_layer.connection_health import expiry_warning
from cynare.service_layer.unit_of_work import BatchRecord, BatchState, EntityWork, StateCount, UnitOfWork
from cynare.service_layer.xero_port import Credentials, EntityIssue, IssueKind, Usage

_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|\b\d[\d.,-]*\b")


class HoldCount(NamedTuple):
    reason: str  # "waiting on mapping: nominal 4010 (UK) (no mapping row)"
    datasets: str  # "bills, credit_notes"
    documents: int


class RejectionCount(NamedTuple):
    file: str
    column: str
    rule: str  # the first such rejection's own words; values of the others may differ
    rows: int


@dataclass(frozen=True, slots=True)
class EntityStatus:
    entity: str
    documents: list[StateCount]
    holds: list[HoldCount]
    rejections: list[RejectionCount]
    refused_batches: list[BatchRecord]  # refused whole, or held until the settings allow them
    cancelled: list[tuple[str, str]]  # (document, why): cancelled in the PMS
    connection: str = ""  # the organisation the entity posts to, or why it does not
    issues: list[EntityIssue] = field(default_factory=list)  # what stopped the entity, for a person
    refused_by_xero: list[tuple[str, int]] = field(default_factory=list)  # (Xero's words and the action, documents)
    usage_today: Usage = field(default_factory=Usage)


class RefusalCount(NamedTuple):
    shape: str  # Xero's words with the values left out ("…"), so that like refusals count together
    words: str  # the first such refusal's own words, values and all
    documents: int


def refusals_by_reason(reasons: Iterable[str]) -> list[RefusalCount]:
    """Refusals grouped by their words without the values in them, the commonest first (then by those words);
    each group keeps the words of its first refusal in the order given."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    for reason in reasons:
        shape = _VALUES.sub("…", reason)
        counts[shape] += 1
        first.setdefault(shape, reason)
    return [RefusalCount(shape, first[shape], n) for shape, n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]


def entity_status(uow: UnitOfWork, entity: str, now: datetime | None = None) -> EntityStatus:
    now = now or datetime.now(UTC)
    with uow.for_entity(entity) as work:
        binding = work.connection.binding()
        connection = (f"{binding.organisation_name} ({binding.base_currency}, tenant {binding.tenant_id}, "
                      f"{binding.kind.value} connection)" if binding else "not connected to Xero")  # fmt: skip
        issues = work.issues.open()
        if warning := expiry_warning(binding, _credentials(work), now):
            issues.append(EntityIssue(entity, IssueKind.CONNECTION_EXPIRING, warning, now))
        refusals = refusals_by_reason(s.reason for s in work.documents.in_state(State.REJECTED))
        usage = work.usage.for_day(now.date())
        documents = work.documents.counts()
        hold_counts: Counter[str] = Counter()
        hold_datasets: dict[str, set[str]] = {}
        for stored in work.documents.in_state(State.WAITING):
            for hold in stored.holds:
                hold_counts[str(hold)] += 1
                hold_datasets.setdefault(str(hold), set()).add(stored.document.key.dataset)
        rejection_counts: Counter[tuple[str, str, str]] = Counter()
        first_words: dict[tuple[str, str, str], str] = {}
        for _, rejection in work.rejections.all():
            shape = (rejection.file, rejection.column, _VALUES.sub("…", rejection.rule))
            rejection_counts[shape] += 1
            first_words.setdefault(shape, rejection.rule)
        refused = [record for record in work.batches.all() if record.state in {BatchState.REJECTED, BatchState.HELD}]
        cancelled = sorted((str(stored.document.key), stored.reason) for stored in work.documents.in_state(State.CANCELLED)
                           if stored.document.key.dataset != "cancellations")  # fmt: skip
    holds = [HoldCount(reason, ", ".join(sorted(hold_datasets[reason])), count)
             for reason, count in sorted(hold_counts.items(), key=lambda item: (-item[1], item[0]))]  # fmt: skip
    rejections = [RejectionCount(shape[0], shape[1], first_words[shape], count)
                  for shape, count in sorted(rejection_counts.items(), key=lambda item: (-item[1], item[0]))]  # fmt: skip
    return EntityStatus(entity, documents, holds, rejections, refused, cancelled, connection, issues,
                        [(r.shape, r.documents) for r in refusals], usage)  # fmt: skip


def _credentials(work: EntityWork) -> Credentials | None:
    try:
        return work.connection.credentials()
    except CynareError:  # no token key here: the expiry cannot be read, and status still shows the rest
        return None
