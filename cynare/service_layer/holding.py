"""Decide each document's holds at import, from the entity's books and what the warehouse holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cynare.domain.documents import Cancellation, Client, DocKey, Document
from cynare.domain.holds import Hold, HoldKind, MappingBook, Standing, content_holds, dependency_holds, dormant_hold
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


class Arrivals:
    """The documents one import brings, by key (the last of a key wins), and what they refer to: worked out
    once per batch, however many slices the batch is placed in."""

    def __init__(self, documents: Iterable[Document]) -> None:
        listed = list(documents)
        self.documents: dict[DocKey, Document] = {document.key: document for document in listed}
        referred: set[DocKey] = set()
        for document in self.documents.values():
            referred.update(document.depends_on)
        # Every client something arriving refers to: an archived client it refers to is needed in Xero.
        self.clients = frozenset(key for key in referred if key.dataset == "clients")
        # ...and every client any row of the batch refers to, a key's replaced versions included.
        self.needed_clients = self.clients
        if len(listed) != len(self.documents):
            self.needed_clients = frozenset(key for document in listed for key in document.depends_on
                                            if key.dataset == "clients")  # fmt: skip
        # What they depend on that is not arriving with them: only the warehouse can say how it stands.
        self.elsewhere = frozenset(key for key in referred if key not in self.documents)


class HoldJudge:
    """Holds for documents of one import: `known` is what the warehouse holds, by key; `arriving` what the batch brings.

    `known` needs only the documents judged and what they depend on that is not arriving: an arriving
    document always stands as received, whatever the warehouse holds of it.
    """

    def __init__(
        self,
        book: MappingBook,
        known: Mapping[DocKey, StoredDocument],
        arriving: Iterable[Document] | Arrivals,
        needed: Iterable[DocKey] = (),
    ) -> None:
        self.book = book
        self.known = known
        arrivals = arriving if isinstance(arriving, Arrivals) else Arrivals(arriving)
        self.arriving = arrivals.documents
        self.needed = arrivals.clients.union(needed)

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
            was_dormant = current is None or any(hold.kind is HoldKind.DORMANT for hold in current.holds)
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
