"""What a person reads about an exception: Xero's words apart from the action to take, the kind of refusal
(to filter by), what releases a hold, and the code a missing mapping names. Pure: reasons in, words out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cynare.domain.holds import Hold, HoldKind
from cynare.domain.xero_replies import (
    ALLOCATION_TOO_LARGE,
    BATCH_RECONCILED_DELETE,
    CONTACT_ARCHIVED,
    CREDIT_NOTE_NUMBER_TAKEN,
    GENERIC_ACTION,
    HAS_PAYMENTS,
    INVOICE_NUMBER_TAKEN,
    LOCK_DATE,
    NOT_SUBSCRIBED,
    PAYMENT_BATCH_DELETE,
    PAYMENT_EXCEEDS,
    PAYMENT_RECONCILED_DELETE,
    VOID_WITH_PAYMENTS,
    refusal_action,
)

REFUSED = "Xero refused it: "  # how posting words a refusal: Xero's messages, ". ", then the action
DEFAULT_FIX = (
    "fix the cause in Xero or in the PMS, then retry; if the document was entered in Xero by hand, skip it with a note"
)


class RefusalKind(StrEnum):
    LOCK_DATE = "lock date"
    ARCHIVED_CONTACT = "archived contact"
    CURRENCY = "currency"
    NUMBER_TAKEN = "number already used"
    OVER_AMOUNT = "more than is owed"
    BATCH_PAYMENT = "batch payment"
    RECONCILED = "reconciled payment"
    HAS_PAYMENTS = "has payments"
    CONTACT_CONFLICT = "contact conflict"
    NOT_CHANGEABLE = "cannot change in Xero"
    OTHER = "other"


# What a reason contains, and its kind; the first match wins (an archived contact is also a conflict).
_KINDS: tuple[tuple[str, RefusalKind], ...] = (
    (LOCK_DATE, RefusalKind.LOCK_DATE),
    (CONTACT_ARCHIVED.split(".")[0], RefusalKind.ARCHIVED_CONTACT),
    ("is archived in Xero", RefusalKind.ARCHIVED_CONTACT),
    (NOT_SUBSCRIBED, RefusalKind.CURRENCY),
    (INVOICE_NUMBER_TAKEN.rstrip("."), RefusalKind.NUMBER_TAKEN),
    (CREDIT_NOTE_NUMBER_TAKEN.rstrip("."), RefusalKind.NUMBER_TAKEN),
    (PAYMENT_EXCEEDS, RefusalKind.OVER_AMOUNT),
    (ALLOCATION_TOO_LARGE, RefusalKind.OVER_AMOUNT),
    (PAYMENT_BATCH_DELETE.split(".")[0], RefusalKind.BATCH_PAYMENT),
    ("one payment of a batch", RefusalKind.BATCH_PAYMENT),
    (PAYMENT_RECONCILED_DELETE, RefusalKind.RECONCILED),
    (BATCH_RECONCILED_DELETE, RefusalKind.RECONCILED),
    (VOID_WITH_PAYMENTS.rstrip("."), RefusalKind.HAS_PAYMENTS),
    (HAS_PAYMENTS.rstrip("."), RefusalKind.HAS_PAYMENTS),
    ("conflict with a contact in Xero", RefusalKind.CONTACT_CONFLICT),
    ("cannot be reversed through the API", RefusalKind.NOT_CHANGEABLE),
    ("cannot be changed there", RefusalKind.NOT_CHANGEABLE),
    ("nothing to reverse there", RefusalKind.NOT_CHANGEABLE),
)

# Every action posting may put after Xero's words (cynare.domain.xero_replies.refusal_action).
_ACTIONS = frozenset(
    refusal_action([message])
    for message in (LOCK_DATE, CONTACT_ARCHIVED, NOT_SUBSCRIBED, INVOICE_NUMBER_TAKEN, CREDIT_NOTE_NUMBER_TAKEN,
                    PAYMENT_EXCEEDS, PAYMENT_BATCH_DELETE, PAYMENT_RECONCILED_DELETE, BATCH_RECONCILED_DELETE,
                    VOID_WITH_PAYMENTS, HAS_PAYMENTS, ALLOCATION_TOO_LARGE)
) | {GENERIC_ACTION}  # fmt: skip


def refusal_kind(reason: str) -> RefusalKind:
    for text, kind in _KINDS:
        if text in reason:
            return kind
    return RefusalKind.OTHER


def split_refusal(reason: str) -> tuple[str, str]:
    """(what was said, what to do) of a rejected document's reason; the default fix when it names none."""
    if reason.startswith(REFUSED):
        said = reason[len(REFUSED) :]
        start = said.find(". ")
        while start >= 0:  # Xero's words may hold ". " too: the action is the part made only of actions
            action = said[start + 2 :]
            if all(part in _ACTIONS for part in action.split("; ")):
                return said[:start], action
            start = said.find(". ", start + 1)
        return said, DEFAULT_FIX
    said, colon, action = reason.rpartition(": ")  # "what happened: what to do", as posting words its own
    if colon and said and action:
        return said, action
    return reason, DEFAULT_FIX


@dataclass(frozen=True, slots=True)
class MissingMapping:
    """A code a document needs mapped: `kind` is nominal, vat, bank or a tracking dimension (office, ...)."""

    kind: str
    code: str

    @property
    def label(self) -> str:
        return f"{_KIND_WORDS.get(self.kind, self.kind.replace('_', ' '))} {self.code}"


_MAPPED_KINDS = (("VAT code ", "vat"), ("bank account ", "bank"), ("nominal ", "nominal"))
_KIND_WORDS = {"vat": "VAT code", "bank": "bank account", "nominal": "nominal code"}


def missing_mapping(hold: Hold) -> MissingMapping | None:
    """The code of a hold on a missing mapping ("nominal 4999 (UK)"), else None."""
    if hold.kind is not HoldKind.MAPPING:
        return None
    subject = hold.subject
    if subject.endswith(")") and " (" in subject:  # the entity, as the hold names it
        subject = subject[: subject.rindex(" (")]
    for prefix, kind in _MAPPED_KINDS:
        if subject.startswith(prefix):
            return MissingMapping(kind, subject[len(prefix) :])
    dimension, _, value = subject.partition(" ")
    return MissingMapping(dimension, value) if value else None


# What releases each hold, in a person's words.
_HOLD_FIXES = {
    HoldKind.MAPPING: "map the code on the mappings page (or in the PMS's mapping table); the document is released "
    "at once and posts on the next run",
    HoldKind.CURRENCY: "add the currency to the organisation in Xero and to the entity in CYNARE_ENTITIES",
    HoldKind.VAT_RELIEF: "correct the write-off's VAT code in the PMS, or mark the code as allowing bad-debt relief",
    HoldKind.NOT_RECEIVED: "the document it depends on has not come from the PMS: check that the next extract "
    "includes it",
    HoldKind.PARENT_REJECTED: "fix the rejected document it depends on (listed here); it goes as soon as that one "
    "is in Xero",
    HoldKind.PARENT_CANCELLED: "the document it depends on was cancelled in the PMS: cancel or correct this one "
    "in the PMS too",
    HoldKind.ARCHIVED_CLIENT: "reopen the client in the PMS, or correct the document's date",
    HoldKind.DORMANT: "nothing: it is created in Xero when a document needs it",
    HoldKind.IN_FLIGHT: "nothing: it goes when the attempt ends; the next run looks the attempt up in Xero",
    HoldKind.NOT_IN_XERO: "fix what keeps the document it depends on from Xero (listed here); it goes as soon as "
    "that one is in Xero",
}


def hold_fix(hold: Hold) -> str:
    return _HOLD_FIXES[hold.kind]
