"""Use case: what the warehouse holds for an entity, for a person: documents by state, holds and rejections by reason."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from cynare.domain.lifecycle import State
from cynare.service_layer.unit_of_work import BatchRecord, BatchState, StateCount, UnitOfWork

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


def entity_status(uow: UnitOfWork, entity: str) -> EntityStatus:
    with uow.for_entity(entity) as work:
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
    return EntityStatus(entity, documents, holds, rejections, refused, cancelled)
