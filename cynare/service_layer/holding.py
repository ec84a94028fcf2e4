"""Decide each document's holds at import, from the entity's books and what the warehouse holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cynare.domain.documents import Cancellation, Client, DocKey, Document
from cynare.domain.holds import Hold, MappingBook, Standing, content_holds, dependency_holds, dormant_hold
from cynare.domain.lifecycle import State, StoredDocument
from cynare.service_layer.unit_of_work import EntityWork


def mapping_book(work: EntityWork) -> MappingBook:
    reference = work.reference
    vat_codes = reference.rows("vat_codes")
    settings = work.settings
    return MappingBook(
        entity=work.entity,
        nominal={code: row.get("xero_account_code") or "" for code, row in reference.rows("map_nominal").items()},
        vat={code: row.get("xero_tax_type") or "" for code, row in reference.rows("map_vat").items()},
        tracking=_tracking(reference.rows("map_tracking")),
        bank={code: row.get("xero_account_code") or "" for code, row in reference.rows("map_bank").items()},
        vat_relief=frozenset(code for code, row in vat_codes.items() if row.get("bad_debt_relief") == "yes"),
        currencies=settings.currencies if settings is not None else frozenset(),
    )


def _tracking(rows: Mapping[str, dict[str, str]]) -> dict[tuple[str, str], str]:
    book: dict[tuple[str, str], str] = {}
    for key, row in rows.items():
        dimension, _, value = key.partition("|")
        category, option = row.get("xero_category"), row.get("xero_option")
        book[(dimension, value)] = f"{category}/{option}" if category and option else ""
    return book


class HoldJudge:
    """Holds for documents of one import: `known` is what the warehouse and the batch hold, by key."""

    def __init__(
        self,
        book: MappingBook,
        known: Mapping[DocKey, StoredDocument],
        arriving: Iterable[Document],
        needed: Iterable[DocKey] = (),
    ) -> None:
        self.book = book
        self.known = dict(known)
        self.arriving = {document.key: document for document in arriving}
        # Every client something arriving refers to: an archived client it refers to is needed in Xero.
        self.needed = set(needed) | {key for document in self.arriving.values() for key in document.depends_on
                                     if key.dataset == "clients"}  # fmt: skip

    def holds(self, document: Document) -> tuple[Hold, ...]:
        body = document.body
        found = content_holds(body, self.book, self._clients(document))
        if isinstance(body, Cancellation):
            # Only its target's arrival is a hold here; what its state means is settled in domain.cancellations.
            if body.target not in self.known and body.target not in self.arriving:
                found += dependency_holds((body.target,), {})
        else:
            found += dependency_holds(document.depends_on, self._standings(document.depends_on))
        if isinstance(body, Client):
            current = self.known.get(document.key)
            was_dormant = current is None or any(hold.kind.value == "dormant" for hold in current.holds)
            found += dormant_hold(body, document.key in self.needed, was_dormant)
        return tuple(sorted(set(found)))

    def _standings(self, keys: Iterable[DocKey]) -> dict[DocKey, Standing]:
        standings: dict[DocKey, Standing] = {}
        for key in keys:
            if key in self.arriving:
                standings[key] = Standing(State.RECEIVED.value)
            elif key in self.known:
                stored = self.known[key]
                standings[key] = Standing(stored.state.value, stored.reason)
        return standings

    def _clients(self, document: Document) -> dict[str, Client]:
        clients: dict[str, Client] = {}
        for key in document.depends_on:
            if key.dataset != "clients":
                continue
            arriving = self.arriving.get(key)
            body = arriving.body if arriving else (self.known[key].document.body if key in self.known else None)
            if isinstance(body, Client):
                clients[key.firm_id] = body
        return clients
