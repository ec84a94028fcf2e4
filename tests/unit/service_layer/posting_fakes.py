"""In-memory posting repositories with the warehouse's rules: ETags, one refresh claim, one poster per entity."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from itertools import count
from typing import TYPE_CHECKING

from cynare.service_layer.xero_port import (
    Binding,
    ConnectionRepository,
    Credentials,
    CursorRepository,
    EntityIssue,
    IssueKind,
    IssueRepository,
    OutboxItem,
    OutboxRepository,
    PosterLock,
    Usage,
    UsageRepository,
    WritebackOutbox,
)

_etags = count(1)


class FakeConnections:
    """Like TableConnections: saves and claims are guarded by the credentials' ETag; a claim changes it."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.bound: Binding | None = None
        self.stored: Credentials | None = None
        self.claim_until: datetime | None = None
        self._lock = threading.Lock()

    def binding(self) -> Binding | None:
        return self.bound

    def bind(self, binding: Binding) -> None:
        if binding.entity != self.entity:
            raise ValueError(f"a binding for {binding.entity} cannot be stored for {self.entity}")
        self.bound = binding

    def unbind(self) -> None:
        with self._lock:
            self.bound, self.stored, self.claim_until = None, None, None

    def credentials(self) -> Credentials | None:
        return self.stored

    def save_credentials(self, credentials: Credentials) -> bool:
        with self._lock:
            if (self.stored.etag if self.stored else "") != credentials.etag:
                return False
            self.stored = dataclasses.replace(credentials, etag=f"W/{next(_etags)}")
            self.claim_until = None  # saving replaces the row, claim and all
            return True

    def claim_refresh(self, until: datetime, now: datetime) -> bool:
        with self._lock:
            if self.stored is None or (self.claim_until is not None and self.claim_until > now):
                return False
            self.claim_until = until
            self.stored = dataclasses.replace(self.stored, etag=f"W/{next(_etags)}")
            return True


class FakeIssues:
    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.issues: dict[IssueKind, EntityIssue] = {}

    def raise_issue(self, issue: EntityIssue) -> None:
        if issue.entity != self.entity:
            raise ValueError(f"an issue of {issue.entity} cannot be raised for {self.entity}")
        self.issues[issue.kind] = issue

    def clear(self, kind: IssueKind) -> None:
        self.issues.pop(kind, None)

    def open(self) -> list[EntityIssue]:
        return [self.issues[kind] for kind in sorted(self.issues, key=lambda kind: kind.value)]


class FakeUsage:
    def __init__(self) -> None:
        self.days: dict[date, Usage] = {}
        self._lock = threading.Lock()

    def add(self, day: date, usage: Usage) -> None:
        with self._lock:
            kept = self.days.get(day, Usage())
            self.days[day] = Usage(
                calls=kept.calls + usage.calls,
                throttled=kept.throttled + usage.throttled,
                failed_throttled=kept.failed_throttled + usage.failed_throttled,
                bytes_sent=kept.bytes_sent + usage.bytes_sent,
                bytes_read=kept.bytes_read + usage.bytes_read,
                posted=kept.posted + usage.posted,
                day_remaining=usage.day_remaining if usage.day_remaining is not None else kept.day_remaining,
                minute_remaining=usage.minute_remaining
                if usage.minute_remaining is not None
                else kept.minute_remaining,
            )

    def for_day(self, day: date) -> Usage:
        return dataclasses.replace(self.days.get(day, Usage()))  # a copy: the caller may change it


class FakeOutbox:
    def __init__(self) -> None:
        self.items: dict[str, OutboxItem] = {}

    def put(self, items: list[OutboxItem]) -> None:
        self.items.update({item.key: item for item in items})

    def pending(self, limit: int = 5000) -> list[OutboxItem]:
        return [self.items[key] for key in sorted(self.items)[: max(limit, 0)]]

    def remove(self, keys: list[str]) -> None:
        for key in keys:
            self.items.pop(key, None)


class FakeCursors:
    def __init__(self) -> None:
        self.cursors: dict[str, datetime] = {}

    def get(self, name: str) -> datetime | None:
        return self.cursors.get(name)

    def set(self, name: str, at: datetime) -> None:
        self.cursors[name] = at


class FakePosterLock:
    """One holder per entity at a time, across threads; `held` shows who holds what now."""

    def __init__(self) -> None:
        self.held: set[str] = set()
        self._lock = threading.Lock()

    def hold(self, entity: str) -> AbstractContextManager[bool]:
        return self._hold(entity)

    @contextmanager
    def _hold(self, entity: str) -> Iterator[bool]:
        with self._lock:
            taken = entity not in self.held
            self.held.add(entity)
        if not taken:
            yield False
            return
        try:
            yield True
        finally:
            with self._lock:
                self.held.discard(entity)


class FakeWritebackOutbox:
    """Documents by (entity, id); `acknowledge` plays the agent: it records the version and deletes the document."""

    def __init__(self) -> None:
        self.documents: dict[tuple[str, str], str] = {}
        self.acks: dict[tuple[str, str], list[str]] = {}

    def write(self, entity: str, writeback_id: str, document_json: str) -> None:
        self.documents[(entity, writeback_id)] = document_json

    def waiting(self, entity: str) -> Iterator[str]:
        return iter(sorted(wb_id for (owner, wb_id) in self.documents if owner == entity))

    def acknowledged(self, entity: str, writeback_id: str) -> list[str]:
        return sorted(self.acks.get((entity, writeback_id), []))

    def acknowledge(self, entity: str, writeback_id: str, version: str) -> None:
        versions = self.acks.setdefault((entity, writeback_id), [])
        if version not in versions:
            versions.append(version)
        self.documents.pop((entity, writeback_id), None)


if TYPE_CHECKING:  # mypy holds each fake to its protocol
    _connections: ConnectionRepository = FakeConnections("UK")
    _issues: IssueRepository = FakeIssues("UK")
    _usage: UsageRepository = FakeUsage()
    _outbox: OutboxRepository = FakeOutbox()
    _cursors: CursorRepository = FakeCursors()
    _lock: PosterLock = FakePosterLock()
    _writeback: WritebackOutbox = FakeWritebackOutbox()
