"""Clients meet the contacts an organisation already has: matched, never duplicated, never guessed.

A firm moving to Xero often has its clients there already. The organisation's contacts are read
once per run (pages of 1,000, summaries only) and each client is matched by ContactNumber (the
firm-level client id), then by exact name and email. A name that matches without the email, or a
contact that already carries another number, is a conflict a person settles; a contact archived
in Xero is reported, not reactivated.
"""

from __future__ import annotations

from dataclasses import dataclass

from cynare.domain.documents import Client
from cynare.service_layer.posting.sender import Sender

PAGE = 1000


@dataclass(frozen=True, slots=True)
class XeroContact:
    contact_id: str
    number: str
    name: str
    email: str
    archived: bool


@dataclass(frozen=True, slots=True)
class Found:
    contact_id: str
    how: str
    adopt: bool  # matched by name and email: Xero's contact gets the client id as its ContactNumber


@dataclass(frozen=True, slots=True)
class Conflict:
    reason: str


@dataclass(frozen=True, slots=True)
class New:
    name: str  # the client's name, or with its id when another client already has the name in Xero


Match = Found | Conflict | New


class ContactBook:
    def __init__(self, sender: Sender) -> None:
        self._sender = sender
        self._by_number: dict[str, XeroContact] | None = None
        self._by_name: dict[str, list[XeroContact]] = {}
        self._taken: set[str] = set()  # names given to new contacts in this run, before Xero answers

    def _load(self) -> dict[str, XeroContact]:
        if self._by_number is None:
            self._by_number = {}
            page = 1
            while True:
                params = {"page": str(page), "pageSize": str(PAGE), "summaryOnly": "true", "includeArchived": "true"}
                contacts = self._sender.read("/Contacts", params).body.get("Contacts") or []
                for raw in contacts:
                    self.add(_contact(raw))
                if len(contacts) < PAGE:
                    break
                page += 1
        return self._by_number

    def add(self, contact: XeroContact) -> None:
        if self._by_number is None:
            self._by_number = {}
        if contact.number:
            self._by_number[contact.number] = contact
        self._by_name.setdefault(_fold(contact.name), []).append(contact)

    def match(self, client: Client) -> Match:
        by_number = self._load()
        found = by_number.get(client.client_id)
        if found is not None:
            if found.archived and not client.archived:
                return Conflict(
                    f"contact {found.name} (number {client.client_id}) is archived in Xero; Cynare Link does not "
                    "reactivate contacts: restore it in Xero if the client is active again, then retry"
                )
            return Found(found.contact_id, "matched by contact number", adopt=False)
        same_name = [c for c in self._by_name.get(_fold(client.name), []) if not c.archived]
        unnumbered = [c for c in same_name if not c.number]
        if not unnumbered:
            # Xero wants names unique; two clients of one name (two John Smiths) are told apart by their id.
            taken = bool(same_name) or _fold(client.name) in self._taken
            name = f"{client.name} ({client.client_id})"[:255] if taken else client.name
            self._taken.add(_fold(name))
            return New(name)
        contact = unnumbered[0]
        if client.email and contact.email and _fold(client.email) == _fold(contact.email):
            return Found(contact.contact_id, "matched by name and email", adopt=True)
        return Conflict(
            f"a contact named {contact.name} is in Xero with "
            + (f"email {contact.email}" if contact.email else "no email")
            + f" and no contact number: if it is this client, set its contact number to {client.client_id} in Xero;"
            " if not, rename one of them; then retry"
        )


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _contact(raw: dict[str, object]) -> XeroContact:
    return XeroContact(
        contact_id=str(raw.get("ContactID") or ""),
        number=str(raw.get("ContactNumber") or ""),
        name=str(raw.get("Name") or ""),
        email=str(raw.get("EmailAddress") or ""),
        archived=raw.get("ContactStatus") == "ARCHIVED",
    )
