"""How an exception reads to a person: Xero's words apart from the action, the kind of refusal, the code a
missing mapping names."""

from __future__ import annotations

import pytest

from cynare.domain.exception_advice import (
    DEFAULT_FIX,
    MissingMapping,
    RefusalKind,
    missing_mapping,
    refusal_kind,
    split_refusal,
)
from cynare.domain.holds import Hold, HoldKind
from cynare.domain.xero_replies import CONTACT_ARCHIVED, GENERIC_ACTION, LOCK_DATE, NOT_SUBSCRIBED, refusal_action


def refused(*messages: str) -> str:
    """As posting words a refusal (cynare.service_layer.posting.steps.refusal)."""
    said = "; ".join(dict.fromkeys(m.strip().rstrip(".") for m in messages))
    return f"Xero refused it: {said}. {refusal_action(messages)}"


def test_xeros_words_and_the_action_are_told_apart() -> None:
    lock = f"{LOCK_DATE} of 31 Oct 2026."
    assert split_refusal(refused(lock)) == (lock.rstrip("."), refusal_action([lock]))
    # Xero's words holding ". " themselves, and two causes with two actions
    both = refused(CONTACT_ARCHIVED, f"{NOT_SUBSCRIBED} USD")
    said, action = split_refusal(both)
    assert said == f"{CONTACT_ARCHIVED.rstrip('.')}; {NOT_SUBSCRIBED} USD"
    assert action == refusal_action([CONTACT_ARCHIVED, f"{NOT_SUBSCRIBED} USD"]) and "; " in action
    assert split_refusal(refused("Something new. Really.")) == ("Something new. Really", GENERIC_ACTION)
    # Posting's own refusals say "what happened: what to do"; one that says no action gets the default.
    conflict = "conflict with a contact in Xero: a contact named A: B is in Xero with no email: rename one; then retry"
    assert split_refusal(conflict)[1] == "rename one; then retry"
    assert split_refusal("receipt R1 is not in Xero, so there is nothing to reverse there")[1] == DEFAULT_FIX


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        (refused(f"{LOCK_DATE} of 31 Oct 2026"), RefusalKind.LOCK_DATE),
        (refused(CONTACT_ARCHIVED), RefusalKind.ARCHIVED_CONTACT),
        (
            "conflict with a contact in Xero: contact X (number C1) is archived in Xero; ...",
            RefusalKind.ARCHIVED_CONTACT,
        ),
        ("conflict with a contact in Xero: a contact named X is in Xero", RefusalKind.CONTACT_CONFLICT),
        (refused(f"{NOT_SUBSCRIBED} USD"), RefusalKind.CURRENCY),
        (refused("Invoice # must be unique."), RefusalKind.NUMBER_TAKEN),
        (
            "the receipt went to Xero as one batch payment, and Xero cannot delete one payment of a batch: ...",
            RefusalKind.BATCH_PAYMENT,
        ),
        (refused("Whatever else"), RefusalKind.OTHER),
    ],
)
def test_each_refusal_has_a_kind_to_filter_by(reason: str, kind: RefusalKind) -> None:
    assert refusal_kind(reason) is kind


def test_a_missing_mapping_names_its_kind_and_code() -> None:
    def mapping(subject: str) -> MissingMapping | None:
        return missing_mapping(Hold(HoldKind.MAPPING, subject, "no mapping row"))

    assert mapping("nominal 4999 (UK)") == MissingMapping("nominal", "4999")
    assert mapping("VAT code S (UK)") == MissingMapping("vat", "S")
    assert mapping("bank account BANK 2 (UK)") == MissingMapping("bank", "BANK 2")
    assert mapping("fee_earner JS (UK)") == MissingMapping("fee_earner", "JS")
    assert MissingMapping("fee_earner", "JS").label == "fee earner JS"
    assert MissingMapping("nominal", "4999").label == "nominal code 4999"
    assert missing_mapping(Hold(HoldKind.CURRENCY, "USD (UK)")) is None
