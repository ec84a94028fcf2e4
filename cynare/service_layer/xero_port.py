"""The ports posting and sync talk to Xero through, and the warehouse records they keep beside the documents.

`XeroApi` is one entity's door into its own organisation: the adapter binds it to the tenant id the
entity was connected to (never one an extract names) and puts that id on every call. A call either
answers (`XeroReply`, whatever the status Xero gave for a batch with `summarizeErrors=false`) or
raises `XeroCallFailed` with the problem the retry policy (cynare.domain.retry_policy) acts on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from cynare.errors import CynareError


class ConnectionKind(StrEnum):
    CUSTOM = "custom"  # a custom connection: client credentials, one organisation, no refresh token
    APP = "app"  # a Xero app with the authorization code flow: refresh tokens, several organisations


@dataclass(frozen=True, slots=True)
class Binding:
    """Which organisation an entity posts to: set when it is connected, checked on every run."""

    entity: str
    tenant_id: str
    organisation_name: str
    base_currency: str
    kind: ConnectionKind
    client_id: str
    bound_at: datetime
    bound_by: str = ""


@dataclass(frozen=True, slots=True)
class Credentials:
    """Secrets of one entity's connection, kept encrypted at rest. Never logged, never in a message."""

    client_secret: str = ""
    access_token: str = ""
    access_expires_at: datetime | None = None
    refresh_token: str = ""
    refresh_issued_at: datetime | None = None  # a refresh token unused for 60 days expires
    scopes: tuple[str, ...] = ()
    etag: str = ""

    def __repr__(self) -> str:  # a dataclass repr would print the secrets
        return f"Credentials(scopes={self.scopes!r}, access_expires_at={self.access_expires_at!r})"


class Problem(StrEnum):
    """Why a call to Xero did not answer as asked; cynare.domain.retry_policy maps each to an action."""

    MINUTE_LIMIT = "minute"
    DAY_LIMIT = "day"
    CONCURRENT_LIMIT = "concurrent"
    APP_MINUTE_LIMIT = "appminute"
    SERVER_ERROR = "server error"  # 5xx
    TIMEOUT = "timeout"  # no answer in time: a write's outcome is unknown
    DROPPED = "dropped"  # the connection broke: a write's outcome is unknown
    UNAUTHORIZED = "unauthorized"  # 401: token expired or revoked, or a scope missing
    FORBIDDEN = "forbidden"  # 403: the token does not reach the bound tenant
    NOT_FOUND = "not found"
    REFUSED = "refused"  # 400: Xero refused the whole request (validation, a bad query)


class XeroCallFailed(CynareError):
    def __init__(
        self,
        problem: Problem,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        messages: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.status = status
        self.retry_after = retry_after
        self.messages = messages  # Xero's own validation messages, when it gave any

    @property
    def outcome_unknown(self) -> bool:
        """A write that may or may not have been carried out: look it up before sending it again."""
        return self.problem in {Problem.TIMEOUT, Problem.DROPPED, Problem.SERVER_ERROR}


@dataclass(frozen=True, slots=True)
class XeroReply:
    status: int
    body: Any  # the parsed JSON
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Usage:
    """What one entity's calls cost today: kept per entity and day, shown in status and night.json."""

    calls: int = 0
    throttled: int = 0  # 429s answered
    failed_throttled: int = 0  # 429s that ended in a failure (nothing retried them to success)
    bytes_sent: int = 0
    bytes_read: int = 0
    day_remaining: int | None = None  # X-DayLimit-Remaining of the last answer
    minute_remaining: int | None = None
    posted: int = 0  # documents the day's posting runs put in Xero: the status page's posted volume


class XeroApi(Protocol):
    """One entity's organisation. `path` is under /api.xro/2.0 (e.g. "/Invoices")."""

    entity: str
    tenant_id: str
    usage: Usage

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        if_modified_since: datetime | None = None,
    ) -> XeroReply: ...


class IssueKind(StrEnum):
    """Why a whole entity stopped, or a message gave up: a person acts on each."""

    NOT_CONNECTED = "not connected"
    CONNECTION_BROKEN = "connection broken"  # token refused, tenant out of reach, organisation changed
    DAY_LIMIT = "day limit"
    POISONED = "poisoned"  # a queue message failed 5 times
    CONNECTION_EXPIRING = "connection expiring"  # refresh token near its 60 days unused


@dataclass(frozen=True, slots=True)
class EntityIssue:
    entity: str
    kind: IssueKind
    message: str  # what happened and what to do next; never a secret
    at: datetime
    until: datetime | None = None  # a day limit: when the entity may post again


class ConnectionRepository(Protocol):
    """The entity's binding and its connection's secrets (encrypted at rest)."""

    def binding(self) -> Binding | None: ...

    def bind(self, binding: Binding) -> None: ...

    def unbind(self) -> None: ...

    def credentials(self) -> Credentials | None: ...

    def save_credentials(self, credentials: Credentials) -> bool:
        """Write if the stored row is still at `credentials.etag` ("" = none stored); False when another won."""
        ...

    def claim_refresh(self, until: datetime, now: datetime) -> bool:
        """Become the one worker refreshing the token until `until`; False while another holds the claim."""
        ...


class IssueRepository(Protocol):
    def raise_issue(self, issue: EntityIssue) -> None:
        """Record (or replace) the entity's open issue of this kind."""
        ...

    def clear(self, kind: IssueKind) -> None: ...

    def open(self) -> list[EntityIssue]: ...


class UsageRepository(Protocol):
    def add(self, day: date, usage: Usage) -> None:
        """Add one run's usage to the day's totals (calls, 429s, bytes) and keep its last remaining figures."""
        ...

    def for_day(self, day: date) -> Usage: ...


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One write-back item waiting for the next write-back document, keyed so a replay writes it once."""

    key: str  # e.g. "posted|bills|B1|<version>" or "xero_receipt|<payment id>"
    item: dict[str, Any]  # the write-back item as cynare.extract.writeback writes it (JSON-ready)
    at: datetime


class OutboxRepository(Protocol):
    def put(self, items: list[OutboxItem]) -> None:
        """Upsert: the same key again replaces, never duplicates."""
        ...

    def pending(self, limit: int = 5000) -> list[OutboxItem]: ...

    def remove(self, keys: list[str]) -> None: ...


class CursorRepository(Protocol):
    """Where the last sync read each Xero resource up to (If-Modified-Since)."""

    def get(self, name: str) -> datetime | None: ...

    def set(self, name: str, at: datetime) -> None: ...


class PosterLock(Protocol):
    """One poster per entity across instances: a blob lease, renewed while posting."""

    def hold(self, entity: str) -> AbstractContextManager[bool]:
        """Yields True when this worker holds the entity's lease, False when another does."""
        ...


class WritebackOutbox(Protocol):
    """Where write-back documents go for the agent: `writeback/{entity}/{writeback_id}.json`."""

    def write(self, entity: str, writeback_id: str, document_json: str) -> None: ...

    def waiting(self, entity: str) -> Iterator[str]:
        """Ids of write-back documents the agent has not acknowledged yet."""
        ...
