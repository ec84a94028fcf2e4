"""What one posting run knows of the entity's documents, and how it records what Xero answered.

Records are read once and kept for the run, each with the ETag of its last write, so the next
write of the same document is guarded without reading it again. An outcome is recorded in two
writes, in this order: the write-back item in the outbox (so the PMS learns it even if the next
write is lost), then the document. A document changed by an import during the attempt loses its
guarded write; it is read again and decided again: a newer version keeps the Xero id and is sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cynare.domain.documents import DocKey
from cynare.domain.holds import Hold, HoldKind
from cynare.domain.lifecycle import (
    State,
    StoredDocument,
    back_to_ready,
    begin_posting,
    cancelled,
    posted,
    progressed,
    reassess,
    rejected,
    skipped,
    superseded,
)
from cynare.service_layer.unit_of_work import EntityWork
from cynare.service_layer.xero_port import OutboxItem

# The datasets the write-back format reports one by one (a receipt's allocations go with the receipt).
WRITTEN_BACK = frozenset({"clients", "bills", "credit_notes", "write_offs", "receipts", "unallocated_receipts",
                          "allocations"})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Posted:
    xero_id: str
    number: str = ""
    note: str = ""  # a warning Xero gave, or what was matched


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str  # Xero's words and the action a person takes


@dataclass(frozen=True, slots=True)
class Progressed:
    xero_id: str
    step: str


@dataclass(frozen=True, slots=True)
class NotThere:
    """Looked up after an unknown outcome and not found in Xero: ready to be sent afresh."""

    reason: str


Outcome = Posted | Refusal | Progressed | NotThere


class Ledger:
    def __init__(self, work: EntityWork, clock: Callable[[], datetime]) -> None:
        self.work = work
        self.clock = clock
        self._known: dict[DocKey, StoredDocument] = {}
        self.tally: Counter[tuple[str, str]] = Counter()  # (dataset, outcome) for this run

    def load(self, keys: Iterable[DocKey]) -> dict[DocKey, StoredDocument]:
        wanted = set(keys)
        # Not `wanted - self._known.keys()`: that walks every key the run holds, on every lookup.
        missing = {key for key in wanted if key not in self._known}
        if missing:
            self._known.update(self.work.documents.get_many(missing))
        return {key: self._known[key] for key in wanted if key in self._known}

    def remember(self, documents: Iterable[StoredDocument]) -> None:
        for stored in documents:
            self._known[stored.document.key] = stored

    def xero_id(self, key: DocKey) -> str:
        """The Xero id of a document in Xero ("" if it is not there): posted, or posted and changed since."""
        stored = self.load([key]).get(key)
        if stored is None or stored.state is State.CANCELLED:
            return ""
        return stored.xero_id

    def dependency_holds(self, stored: StoredDocument) -> tuple[Hold, ...]:
        """What keeps a ready document from Xero now: each document it needs that is not in Xero."""
        found = self.load(stored.document.depends_on)
        holds: list[Hold] = []
        for key in stored.document.depends_on:
            parent = found.get(key)
            if parent is None:
                holds.append(Hold(HoldKind.NOT_RECEIVED, str(key)))
            elif parent.state is State.REJECTED:
                holds.append(Hold(HoldKind.PARENT_REJECTED, str(key), parent.reason))
            elif parent.state is State.CANCELLED and key.dataset != "clients":
                holds.append(Hold(HoldKind.PARENT_CANCELLED, str(key), parent.reason))
            elif not parent.xero_id and not (parent.state is State.CANCELLED and key.dataset == "clients"):
                holds.append(Hold(HoldKind.NOT_IN_XERO, str(key), f"it is {parent.state.value}"))
        return tuple(sorted(set(holds)))

    def hold(self, judged: Sequence[tuple[StoredDocument, tuple[Hold, ...]]]) -> None:
        """Hold (or release) documents on what they need, in one write per hundred."""
        now = self.clock()
        decided = [d for stored, holds in judged if (d := reassess(stored, holds, now)) is not None]
        if decided:
            self._save(decided)
        for stored in decided:
            self.tally[(stored.document.key.dataset, stored.state.value)] += 1

    def begin(self, documents: Sequence[StoredDocument]) -> list[StoredDocument]:
        """Mark the documents `posting` before the call: a crash after it leaves them to be looked up."""
        now = self.clock()
        latest = [self._known.get(stored.document.key, stored) for stored in documents]  # held or released since
        return self._save([begin_posting(stored, now) for stored in latest])[0]

    def finish(self, results: Sequence[tuple[StoredDocument, Outcome]]) -> None:
        now = self.clock()
        self.work.outbox.put([item for stored, outcome in results if (item := _item(stored, outcome, now))])
        decided = [_decide(stored, outcome, now) for stored, outcome in results]
        lost = set(self._save(decided)[1])
        for stored, outcome in results:
            key = stored.document.key
            if key in lost:
                self._redecide(key, stored.document.version, outcome, now)
            self.tally[(key.dataset, type(outcome).__name__.lower())] += 1

    def settle_outside(self, documents: Sequence[StoredDocument], by: str, note: str) -> None:
        """Documents settled without Xero (by a setting, say): cancelled with the note, never sent."""
        now = self.clock()
        self._save([skipped(stored, by, note, now) for stored in documents])
        for stored in documents:
            self.tally[(stored.document.key.dataset, "not posted")] += 1

    def cancel_target(self, target: StoredDocument, reason: str) -> None:
        """The document a cancellation voided in Xero is cancelled too (read again: it may have moved)."""
        self._known.pop(target.document.key, None)
        fresh = self.load([target.document.key]).get(target.document.key)
        if fresh is not None and fresh.state is not State.CANCELLED:
            self._save([cancelled(fresh, reason, self.clock())])

    def _redecide(self, key: DocKey, sent_version: str, outcome: Outcome, now: datetime) -> None:
        self._known.pop(key, None)
        fresh = self.load([key]).get(key)
        if fresh is None or fresh.state is not State.POSTING:
            return
        if fresh.document.version == sent_version:
            self._save([_decide(fresh, outcome, now)])
        elif isinstance(outcome, Posted | Progressed):
            self._save([superseded(fresh, outcome.xero_id, sent_version, now)])
        else:  # refused or not there: the newer version may be the fix; it goes as it is
            self._save([back_to_ready(fresh, "refused; a newer version arrived meanwhile and goes now", now)])

    def _save(self, documents: list[StoredDocument]) -> tuple[list[StoredDocument], list[DocKey]]:
        """Guarded writes; what lost to another writer is dropped from the cache, to be read again."""
        saved, lost = self.work.documents.save_tracked(documents)
        for key in lost:
            self._known.pop(key, None)
        self.remember(saved)
        return saved, lost


def _decide(stored: StoredDocument, outcome: Outcome, now: datetime) -> StoredDocument:
    if isinstance(outcome, Posted):
        return posted(stored, outcome.xero_id, now, outcome.note)
    if isinstance(outcome, Progressed):
        return progressed(stored, outcome.xero_id, outcome.step, now)
    if isinstance(outcome, Refusal):
        return rejected(stored, outcome.reason, now)
    return back_to_ready(stored, outcome.reason, now)


def _item(stored: StoredDocument, outcome: Outcome, now: datetime) -> OutboxItem | None:
    document = stored.document
    dataset = document.key.dataset
    if dataset not in WRITTEN_BACK:
        return None
    if isinstance(outcome, Posted):
        item = {"kind": "posted", "dataset": dataset, "pms_id": document.source_id, "xero_id": outcome.xero_id,
                "xero_number": outcome.number or None}  # fmt: skip
        return OutboxItem(f"posted|{document.key}|{document.version}", item, now)
    if isinstance(outcome, Refusal):
        item = {"kind": "rejected", "dataset": dataset, "pms_id": document.source_id, "reason": outcome.reason[:1000]}
        return OutboxItem(f"rejected|{document.key}|{document.version}", item, now)
    return None
