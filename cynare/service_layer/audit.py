"""The audit log: every change made from the firm's pages (and the operator's commands), who and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    who: str  # the signed-in person, as App Service Authentication names them
    action: str  # "retry", "skip", "map nominal", "connect", "disconnect"
    entity: str = ""
    detail: str = ""  # what exactly: the document, the mapping before and after, the note


class AuditLog(Protocol):
    def record(self, entry: AuditEntry) -> None: ...

    def recent(self, limit: int = 200, entity: str = "") -> list[AuditEntry]:
        """Newest first; only the entity's when one is named."""
        ...
