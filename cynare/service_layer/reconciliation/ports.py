"""What the reconciliation needs from outside: the cached Xero ledger, the day's figures, somewhere to
keep the report, and the two channels it goes out on (email through Graph, Teams through a webhook)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from cynare.domain.reconciliation import DayFigure, XeroContact, XeroEntry


class XeroLedgerRepository(Protocol):
    """An entity's receivables as last read from its Xero organisation, kept between runs so that the
    next run reads only what changed (If-Modified-Since)."""

    def entries(self) -> Iterator[XeroEntry]: ...

    def contacts(self) -> dict[str, XeroContact]: ...

    def save_entries(self, entries: Sequence[XeroEntry]) -> None:
        """Upsert by kind and Xero id: a record read again replaces the one held."""
        ...

    def save_contacts(self, contacts: Sequence[XeroContact]) -> None: ...


class HistoryRepository(Protocol):
    """Each day's figures per entity and currency, for the trend and the change since yesterday."""

    def record(self, figures: Iterable[DayFigure]) -> None:
        """Upsert by entity, currency and day: a second run on one day replaces the first."""
        ...

    def since(self, first_day: date) -> list[DayFigure]: ...


class ReportStore(Protocol):
    """`reports/{day}/{name}` in Blob Storage: every report kept, the delivery notes beside it."""

    def save(self, day: date, name: str, content: bytes, content_type: str) -> str:
        """Returns where it was kept, for a person (the blob's path)."""
        ...

    def load(self, day: date, name: str) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str  # "reconciliation-2026-11-30.xlsx"
    content_type: str
    content: bytes
    content_id: str = ""  # set for an image shown inside the HTML (<img src="cid:...">)


@dataclass(frozen=True, slots=True)
class MailMessage:
    subject: str
    html: str
    to: tuple[str, ...]
    attachments: tuple[Attachment, ...] = ()
    cc: tuple[str, ...] = field(default=())


class DeliveryFailed(Exception):
    """A channel refused or could not be reached. The message is for a person and never holds a secret."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class MailSender(Protocol):
    def send(self, message: MailMessage) -> None:
        """Sends once; raises DeliveryFailed. Retrying is the caller's (cynare.service_layer.reconciliation.deliver)."""
        ...


class TeamsPoster(Protocol):
    def post(self, card: dict[str, Any]) -> None:
        """Posts one Adaptive Card message; raises DeliveryFailed."""
        ...
