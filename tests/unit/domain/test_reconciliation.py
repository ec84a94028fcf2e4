"""The comparison of the PMS debtors ledger with Xero: every cause found, explained to the cent, nothing netted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cynare.domain.lifecycle import State
from cynare.domain.reconciliation import (
    Cause,
    ControlFigures,
    PmsDocument,
    Sides,
    Status,
    XeroContact,
    XeroEntry,
    XeroKind,
    compare,
    control_check,
)

D = Decimal
CONTACT = "c-1"


def bill(bill_id: str, amount: str, state: State = State.POSTED, xero_id: str = "", reason: str = "") -> PmsDocument:
    return PmsDocument(f"bill {bill_id}", "bills", "C1", "GBP", D(amount), state, reason,
                       frozenset({xero_id} if xero_id else set()))  # fmt: skip


def receipt(receipt_id: str, amount: str, ids: set[str], state: State = State.POSTED) -> PmsDocument:
    return PmsDocument(f"receipt {receipt_id}", "receipts", "C1", "GBP", -D(amount), state, "", frozenset(ids),
                       f"receipts/{receipt_id}")  # fmt: skip


def invoice(xero_id: str, total: str, due: str | None = None, live: bool = True, number: str = "") -> XeroEntry:
    return XeroEntry(xero_id, XeroKind.INVOICE, CONTACT, "GBP", number or f"INV-{xero_id}", D(total),
                     D(due if due is not None else total), live)  # fmt: skip


def payment(xero_id: str, amount: str, on: str, live: bool = True, batch: str = "") -> XeroEntry:
    return XeroEntry(xero_id, XeroKind.PAYMENT, CONTACT, "GBP", "", -D(amount), D(0), live, group_id=batch,
                     document_id=on)  # fmt: skip


def sides(pms: str, documents: list[PmsDocument], entries: list[XeroEntry], **more: object) -> Sides:
    return Sides(
        debtors={("C1", "GBP"): D(pms)} if pms else {},
        clients={"C1": "Client One"},
        documents=documents,
        entries=entries,
        contacts={CONTACT: XeroContact(CONTACT, "Client One", "C1")},
        contact_clients={CONTACT: "C1"},
        **more,  # type: ignore[arg-type]
    )


def only_currency(s: Sides):  # type: ignore[no-untyped-def]
    (result,) = compare(s)
    return result


def test_a_ledger_in_step_is_balanced_with_nothing_to_explain() -> None:
    result = only_currency(sides("70.00", [bill("B1", "100.00", xero_id="i1"), receipt("R1", "30.00", {"p1"})],
                                 [invoice("i1", "100.00", "70.00"), payment("p1", "30.00", "i1")]))  # fmt: skip
    assert (result.pms_total, result.xero_total, result.difference) == (D("70.00"), D("70.00"), D(0))
    assert result.clients == () and result.status is Status.BALANCED


def test_a_held_bill_is_explained_as_not_posted_with_its_hold() -> None:
    held = bill("B2", "250.00", State.WAITING, reason="waiting on mapping: nominal 4010")
    result = only_currency(sides("350.00", [bill("B1", "100.00", xero_id="i1"), held], [invoice("i1", "100.00")]))
    (client,) = result.clients
    (why,) = client.explanations
    assert (why.cause, why.amount, why.document) == (Cause.NOT_POSTED, D("250.00"), "bill B2")
    assert "nominal 4010" in why.detail
    assert client.unexplained == 0 and result.status is Status.EXPLAINED


def test_a_rejected_bill_carries_xeros_reason() -> None:
    refused = bill("B3", "80.00", State.REJECTED, reason="Xero: Account code '999' is not a valid code")
    (client,) = only_currency(sides("80.00", [refused], [])).clients
    assert client.explanations[0].cause is Cause.REJECTED and "999" in client.explanations[0].detail
    assert client.explanations[0].amount == D("80.00")


def test_an_amount_changed_in_xero_is_posted_with_a_different_amount() -> None:
    result = only_currency(sides("100.00", [bill("B1", "100.00", xero_id="i1")], [invoice("i1", "90.00")]))
    (why,) = result.clients[0].explanations
    assert (why.cause, why.amount) == (Cause.AMOUNT_DIFFERS, D("10.00"))
    assert "100.00 in the PMS, 90.00 in Xero" in why.detail and "INV-i1" in why.document


def test_a_receipt_entered_only_in_xero_waits_for_the_write_back() -> None:
    entries = [invoice("i1", "100.00", "60.00"), payment("px", "40.00", "i1")]
    result = only_currency(sides("100.00", [bill("B1", "100.00", xero_id="i1")], entries,
                                 waiting_write_back=frozenset({"px"})))  # fmt: skip
    (why,) = result.clients[0].explanations
    assert (why.cause, why.amount) == (Cause.RECEIPT_NOT_WRITTEN_BACK, D("40.00"))


def test_a_receipt_taken_in_xero_and_applied_in_the_pms_leaves_nothing() -> None:
    entries = [invoice("i1", "100.00", "60.00"), payment("px", "40.00", "i1")]
    result = only_currency(sides("60.00", [bill("B1", "100.00", xero_id="i1")], entries))
    assert result.clients == ()


def test_an_invoice_entered_only_in_xero_is_explained_by_its_open_amount() -> None:
    entries = [invoice("i1", "100.00"), invoice("ix", "55.00", "25.00"), payment("py", "30.00", "ix")]
    result = only_currency(sides("100.00", [bill("B1", "100.00", xero_id="i1")], entries))
    (why,) = result.clients[0].explanations
    assert (why.cause, why.amount) == (Cause.ONLY_IN_XERO, D("-25.00"))


def test_a_bounced_cheque_not_reversed_in_xero() -> None:
    returned = PmsDocument("returned receipt RT1", "returned_receipts", "C1", "GBP", D("40.00"), State.WAITING,
                           "waiting on receipt R1", frozenset(), "receipts/R1")  # fmt: skip
    entries = [invoice("i1", "100.00", "60.00"), payment("p1", "40.00", "i1")]
    result = only_currency(sides("100.00", [bill("B1", "100.00", xero_id="i1"), receipt("R1", "40.00", {"p1"}),
                                            returned], entries))  # fmt: skip
    (why,) = result.clients[0].explanations
    assert (why.cause, why.amount) == (Cause.RETURN_NOT_REVERSED, D("40.00"))


def test_a_bounced_cheque_reversed_in_xero_leaves_nothing() -> None:
    returned = PmsDocument("returned receipt RT1", "returned_receipts", "C1", "GBP", D("40.00"), State.POSTED, "",
                           frozenset({"p1"}), "receipts/R1")  # fmt: skip
    entries = [invoice("i1", "100.00"), payment("p1", "40.00", "i1", live=False)]
    result = only_currency(sides("100.00", [bill("B1", "100.00", xero_id="i1"), receipt("R1", "40.00", {"p1"}),
                                            returned], entries))  # fmt: skip
    assert result.clients == ()


def test_a_receipt_in_a_batch_payment_is_linked_by_the_batch() -> None:
    entries = [invoice("i1", "100.00", "0.00"), payment("p1", "100.00", "i1", batch="bp1")]
    result = only_currency(sides("0.00", [bill("B1", "100.00", xero_id="i1"), receipt("R1", "100.00", {"bp1"})],
                                 entries))  # fmt: skip
    assert result.clients == ()


def test_a_cancellation_not_applied_in_xero() -> None:
    cancelled = bill("B9", "120.00", State.CANCELLED, xero_id="i9", reason="voided in the PMS")
    result = only_currency(sides("0.00", [cancelled], [invoice("i9", "120.00")]))
    (why,) = result.clients[0].explanations
    assert (why.cause, why.amount) == (Cause.CANCELLATION_NOT_APPLIED, D("-120.00"))


def test_a_bill_voided_in_xero_only() -> None:
    result = only_currency(sides("120.00", [bill("B9", "120.00", xero_id="i9")], [invoice("i9", "120.00", live=False)]))
    assert result.clients[0].explanations[0].cause is Cause.CANCELLED_IN_XERO
    assert result.clients[0].explanations[0].amount == D("120.00")


def test_an_exchange_difference_within_tolerance_is_explained() -> None:
    eur = XeroEntry("i1", XeroKind.INVOICE, CONTACT, "EUR", "INV-1", D("100.00"), D("100.00"), True, D("1.17"))
    eur_bill = PmsDocument("bill B1", "bills", "C1", "EUR", D("100.00"), State.POSTED, "", frozenset({"i1"}))
    s = Sides({("C1", "EUR"): D("100.01")}, {"C1": "Client One"}, [eur_bill], [eur], {}, {CONTACT: "C1"},
              tolerances={"EUR": D("0.02")})  # fmt: skip
    (result,) = compare(s)
    (why,) = result.clients[0].explanations
    assert (why.cause, why.amount) == (Cause.EXCHANGE_DIFFERENCE, D("0.01"))
    assert result.unexplained == 0 and not result.needs_someone


def test_a_penny_off_with_no_tolerance_stays_unexplained() -> None:
    result = only_currency(sides("100.01", [bill("B1", "100.00", xero_id="i1")], [invoice("i1", "100.00")]))
    (client,) = result.clients
    assert client.explanations == () and client.unexplained == D("0.01")
    assert result.status is Status.UNEXPLAINED and result.needs_someone


def test_differences_of_two_clients_are_never_netted() -> None:
    entries = [
        invoice("i1", "100.00"),
        XeroEntry("i2", XeroKind.INVOICE, "c-2", "GBP", "INV-2", D("50"), D("50"), True),
    ]
    b2 = PmsDocument("bill B2", "bills", "C2", "GBP", D("50"), State.POSTED, "", frozenset({"i2"}))
    s = Sides({("C1", "GBP"): D("110.00"), ("C2", "GBP"): D("40.00")}, {"C1": "One", "C2": "Two"},
              [bill("B1", "100.00", xero_id="i1"), b2], entries, {}, {CONTACT: "C1", "c-2": "C2"})  # fmt: skip
    (result,) = compare(s)
    assert result.difference == 0
    assert sorted(c.unexplained for c in result.clients) == [D("-10.00"), D("10.00")]
    assert result.status is Status.UNEXPLAINED


def test_explained_plus_unexplained_is_the_difference_to_the_cent() -> None:
    held = bill("B2", "250.00", State.WAITING)
    entries = [invoice("i1", "90.00"), invoice("ix", "12.34")]
    result = only_currency(sides("350.37", [bill("B1", "100.00", xero_id="i1"), held], entries))
    (client,) = result.clients
    causes = {e.cause: e.amount for e in client.explanations}
    assert causes == {Cause.NOT_POSTED: D("250.00"), Cause.AMOUNT_DIFFERS: D("10.00"), Cause.ONLY_IN_XERO: D("-12.34")}
    assert client.explained + client.unexplained == client.difference == D("350.37") - D("102.34")
    assert client.unexplained == D("0.37")
    assert result.explained + result.unexplained == result.difference


def test_the_control_account_against_open_items_at_their_own_rates() -> None:
    entries = [
        XeroEntry("i1", XeroKind.INVOICE, CONTACT, "GBP", "", D("100"), D("100"), True),
        XeroEntry("i2", XeroKind.INVOICE, CONTACT, "EUR", "", D("117"), D("117"), True, D("1.17")),
        XeroEntry("i3", XeroKind.INVOICE, CONTACT, "GBP", "", D("5"), D("5"), False),
    ]
    check = control_check(ControlFigures("610 Accounts Receivable", D("200.00"), date(2026, 11, 30)), entries, "GBP",
                          D(0))  # fmt: skip
    assert check.open_items == D("200.00") and check.status is Status.BALANCED
    off = control_check(ControlFigures("610", D("200.01"), date(2026, 11, 30)), entries, "GBP", D(0))
    assert off.difference == D("0.01") and off.status is Status.UNEXPLAINED
