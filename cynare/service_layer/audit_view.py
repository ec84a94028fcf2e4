"""Use case: one page of the audit log, newest first, of one entity or all."""

from __future__ import annotations

from dataclasses import dataclass

from cynare.service_layer.audit import AuditEntry, AuditLog

PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    number: int  # from 1
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def audit_page(log: AuditLog, number: int = 1, entity: str = "", per_page: int = PER_PAGE) -> AuditPage:
    """Page `number` (from 1): one entry more than the page is read, to know whether another page follows."""
    number = max(number, 1)
    first = (number - 1) * per_page
    read = log.recent(limit=first + per_page + 1, entity=entity)
    return AuditPage(read[first : first + per_page], number, len(read) > first + per_page)
