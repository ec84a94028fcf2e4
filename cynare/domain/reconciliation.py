"""Reconciliation: the PMS debtors ledger against Xero, per entity, currency and client, explained.

Pure: the use case (cynare.service_layer.reconciliation) reads the PMS side from the warehouse and
the Xero side from the cached Xero ledger and hands both here.

Every figure is "PMS minus Xero" in the currency of the line. A client's difference is split into
explanations, each tied to a document and a cause; what no cause accounts for is the unexplained
part, shown as such and never netted against another client. Explained plus unexplained is the
difference, to the cent, by construction: `unexplained` is what is left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from cynare.domain.lifecycle import State

ZERO = Decimal("0")


class Cause(StrEnum):
    """Why a client's balance differs between the PMS and Xero."""

    NOT_POSTED = "not yet posted"
    REJECTED = "rejected by Xero"
    AMOUNT_DIFFERS = "posted with a different amount"
    CANCELLED_IN_XERO = "voided or deleted in Xero only"
    ONLY_IN_XERO = "entered in Xero only"
    RECEIPT_NOT_WRITTEN_BACK = "receipt in Xero not yet in the PMS"
    RETURN_NOT_REVERSED = "returned receipt not yet reversed in Xero"
    CANCELLATION_NOT_APPLIED = "cancelled in the PMS, still live in Xero"
    EXCHANGE_DIFFERENCE = "exchange difference within tolerance"
    SETTLED_OUTSIDE = "skipped: settled outside Cynare Link"


# What a person does about each cause: the report prints it beside the cause.
ACTION: dict[Cause, str] = {
    Cause.NOT_POSTED: "Clear the hold (a mapping, a missing client or bill); it posts on the next run.",
    Cause.REJECTED: "Fix what Xero said, then retry it from the exceptions (cynare exceptions retry).",
    Cause.AMOUNT_DIFFERS: "Someone changed the amount in Xero or the PMS: correct the wrong side.",
    Cause.CANCELLED_IN_XERO: "Voided or deleted in Xero but live in the PMS: cancel it in the PMS or re-enter it.",
    Cause.ONLY_IN_XERO: "Entered directly in Xero: enter it in the PMS too, or void it in Xero.",
    Cause.RECEIPT_NOT_WRITTEN_BACK: "Nothing to do: the agent records it in the PMS on its next run.",
    Cause.RETURN_NOT_REVERSED: "The bounced receipt waits to be deleted in Xero: see the exceptions if it stays.",
    Cause.CANCELLATION_NOT_APPLIED: "Void or delete it in Xero (see the exceptions).",
    Cause.EXCHANGE_DIFFERENCE: "Nothing to do: within the currency's tolerance.",
    Cause.SETTLED_OUTSIDE: "A person skipped it (entered by hand in Xero, say): check the Xero document matches.",
}

# Causes that need no one: the day is still all clear when these are all there is.
QUIET_CAUSES = frozenset({Cause.EXCHANGE_DIFFERENCE})


class Status(StrEnum):
    BALANCED = "balanced"  # no difference
    EXPLAINED = "difference explained"  # a difference, every cent of it explained
    UNEXPLAINED = "difference not explained"  # some of it unexplained
    NOT_RECONCILED = "not reconciled"  # the comparison could not be made (why: EntityReconciliation.problem)


# --- the two sides ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PmsDocument:
    """A PMS document as the warehouse holds it, with what it does to the client's balance."""

    label: str  # "bill B1042", "receipt R77"
    dataset: str  # bills, credit_notes, write_offs, receipts, returned_receipts, unallocated_receipts
    client_id: str
    currency: str
    effect: Decimal  # what it adds to the client's balance in the PMS (a bill +, a receipt -)
    state: State
    reason: str  # its hold or Xero's refusal, for a person
    xero_ids: frozenset[str] = frozenset()  # its counterparts' ids in Xero (its own and its parts')
    group: str = ""  # a returned receipt: the receipt it returns ("receipts/R77"); a receipt: itself
    settled_outside: bool = False  # skipped by a person: still in the PMS's ledger, never sent to Xero


class XeroKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit note"
    OVERPAYMENT = "overpayment"
    PAYMENT = "payment"


@dataclass(frozen=True, slots=True)
class XeroEntry:
    """One receivable record of an organisation: an ACCREC invoice, an ACCRECCREDIT credit note, a
    RECEIVE overpayment, or a payment on one of those."""

    xero_id: str
    kind: XeroKind
    contact_id: str
    currency: str
    number: str  # invoice or credit note number, payment or overpayment reference
    effect: Decimal  # on the contact's balance while live: invoice +Total, credit -Total, payment -Amount
    open: Decimal  # what is still open: AmountDue, or -RemainingCredit; 0 for a payment
    live: bool  # AUTHORISED or PAID; False for VOIDED, DELETED, DRAFT
    rate: Decimal = Decimal(1)  # Xero's CurrencyRate: units of the currency per unit of base currency
    updated: datetime | None = None
    group_id: str = ""  # a payment's BatchPaymentID; an overpayment's BankTransactionID
    document_id: str = ""  # a payment's invoice or credit note id


@dataclass(frozen=True, slots=True)
class XeroContact:
    contact_id: str
    name: str
    contact_number: str = ""  # the firm's client id when the contact is ours


@dataclass(frozen=True, slots=True)
class ControlFigures:
    """The debtors control account on Xero's trial balance, in base currency."""

    account: str  # "610 Accounts Receivable"
    balance: Decimal
    as_at: date


# --- the result ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Explanation:
    cause: Cause
    amount: Decimal  # its part of the client's difference (PMS minus Xero)
    document: str  # "bill B1042 (INV-0042)", "Xero payment ref 4411"
    detail: str = ""  # Xero's words, the hold, what changed


@dataclass(frozen=True, slots=True)
class ClientDifference:
    client_id: str  # "" for a Xero contact that is not a client of the PMS
    name: str
    currency: str
    pms: Decimal
    xero: Decimal
    explanations: tuple[Explanation, ...] = ()

    @property
    def difference(self) -> Decimal:
        return self.pms - self.xero

    @property
    def explained(self) -> Decimal:
        return sum((e.amount for e in self.explanations), ZERO)

    @property
    def unexplained(self) -> Decimal:
        return self.difference - self.explained


@dataclass(frozen=True, slots=True)
class CauseTotal:
    cause: Cause
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CurrencyReconciliation:
    currency: str
    pms_total: Decimal
    xero_total: Decimal
    clients_compared: int
    clients: tuple[ClientDifference, ...]  # the clients with a difference or an explanation, largest first

    @property
    def difference(self) -> Decimal:
        return self.pms_total - self.xero_total

    @property
    def unexplained(self) -> Decimal:
        return sum((c.unexplained for c in self.clients), ZERO)

    @property
    def explained(self) -> Decimal:
        return self.difference - self.unexplained

    @property
    def by_cause(self) -> list[CauseTotal]:
        counts: dict[Cause, int] = defaultdict(int)
        amounts: dict[Cause, Decimal] = defaultdict(lambda: ZERO)
        for client in self.clients:
            for explanation in client.explanations:
                counts[explanation.cause] += 1
                amounts[explanation.cause] += explanation.amount
        return [CauseTotal(cause, counts[cause], amounts[cause]) for cause in Cause if cause in counts]

    @property
    def unexplained_clients(self) -> int:
        return sum(1 for c in self.clients if c.unexplained)

    @property
    def status(self) -> Status:
        if self.unexplained_clients:
            return Status.UNEXPLAINED
        if any(c.difference for c in self.clients):
            return Status.EXPLAINED
        return Status.BALANCED

    @property
    def needs_someone(self) -> bool:
        loud = {t.cause for t in self.by_cause} - QUIET_CAUSES
        return self.status is Status.UNEXPLAINED or bool(loud)


@dataclass(frozen=True, slots=True)
class ControlCheck:
    """Xero's own consistency: its debtors control account against its open receivables, in base currency."""

    account: str
    currency: str
    trial_balance: Decimal
    open_items: Decimal  # the open receivables, each at its own rate
    tolerance: Decimal

    @property
    def difference(self) -> Decimal:
        return self.trial_balance - self.open_items

    @property
    def status(self) -> Status:
        if not self.difference:
            return Status.BALANCED
        return Status.EXPLAINED if abs(self.difference) <= self.tolerance else Status.UNEXPLAINED


@dataclass(frozen=True, slots=True)
class EntityReconciliation:
    entity: str
    organisation: str
    base_currency: str
    as_at: date | None  # the date of the PMS debtors snapshot compared
    currencies: tuple[CurrencyReconciliation, ...] = ()
    control: ControlCheck | None = None
    problem: str = ""  # why it could not be reconciled, and what to do
    notes: tuple[str, ...] = ()  # what a person should know (a connection lapsing soon)

    @property
    def status(self) -> Status:
        if self.problem:
            return Status.NOT_RECONCILED
        statuses = [c.status for c in self.currencies] + ([self.control.status] if self.control else [])
        for worst in (Status.UNEXPLAINED, Status.EXPLAINED):
            if worst in statuses:
                return worst
        return Status.BALANCED

    @property
    def needs_someone(self) -> bool:
        control_off = self.control is not None and self.control.status is Status.UNEXPLAINED
        return bool(self.problem) or control_off or any(c.needs_someone for c in self.currencies)


@dataclass(frozen=True, slots=True)
class DayFigure:
    """One day's result for an entity and currency, kept for the trend."""

    entity: str
    currency: str
    day: date
    difference: Decimal
    unexplained: Decimal
    status: Status


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    firm: str
    day: date
    made_at: datetime
    entities: tuple[EntityReconciliation, ...]
    history: Mapping[tuple[str, str], tuple[DayFigure, ...]] = field(default_factory=dict)  # oldest first, to today
    status_url: str = ""
    notices: tuple[str, ...] = ()  # what went wrong delivering earlier reports

    @property
    def all_clear(self) -> bool:
        return not any(entity.needs_someone for entity in self.entities)

    def change_since_yesterday(self, entity: str, currency: str) -> Decimal | None:
        """Today's difference less the previous day's, when there is a previous day on record."""
        days = [d for d in self.history.get((entity, currency), ()) if d.day < self.day]
        today = next(
            (c for e in self.entities if e.entity == entity for c in e.currencies if c.currency == currency), None
        )
        if not days or today is None:
            return None
        return today.difference - days[-1].difference


def day_figures(entity: EntityReconciliation, day: date) -> list[DayFigure]:
    return [DayFigure(entity.entity, c.currency, day, c.difference, c.unexplained, c.status) for c in entity.currencies]


# --- the comparison --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sides:
    """Everything compared for one entity."""

    debtors: Mapping[tuple[str, str], Decimal]  # (client id, currency) -> the PMS balance on the snapshot date
    clients: Mapping[str, str]  # client id -> name
    documents: Iterable[PmsDocument]
    entries: Iterable[XeroEntry]
    contacts: Mapping[str, XeroContact]  # contact id -> contact
    contact_clients: Mapping[str, str]  # contact id -> client id, for the contacts the firm's clients posted as
    waiting_write_back: frozenset[str] = frozenset()  # Xero payment ids not yet applied in the PMS
    tolerances: Mapping[str, Decimal] = field(default_factory=dict)  # currency -> largest difference taken as FX


def compare(sides: Sides) -> tuple[CurrencyReconciliation, ...]:
    """Per currency: the totals and every client whose balances differ, each difference explained."""
    return _Comparison(sides).run()


def control_check(
    figures: ControlFigures, entries: Iterable[XeroEntry], base_currency: str, tolerance: Decimal
) -> ControlCheck:
    """Xero's trial balance debtors against its open receivables valued at their own rates."""
    open_items = ZERO
    for entry in entries:
        if entry.live and entry.open:
            value = entry.open if entry.currency == base_currency else entry.open / entry.rate
            open_items += value.quantize(Decimal("0.01"))
    return ControlCheck(figures.account, base_currency, figures.balance, open_items, tolerance)


_EFFECT_DATASETS = (
    "bills", "credit_notes", "write_offs", "receipts", "returned_receipts", "unallocated_receipts",
)  # fmt: skip


class _Comparison:
    def __init__(self, sides: Sides) -> None:
        self.sides = sides
        self.entries = list(sides.entries)
        self.by_id: dict[str, XeroEntry] = {}
        self.by_group: dict[str, list[XeroEntry]] = defaultdict(list)
        for entry in self.entries:
            self.by_id[entry.xero_id] = entry
            if entry.group_id:
                self.by_group[entry.group_id].append(entry)
        self.explanations: dict[tuple[str, str], list[Explanation]] = defaultdict(list)
        self.linked: set[str] = set()  # Xero ids a PMS document accounts for

    def client_of(self, contact_id: str) -> str:
        known = self.sides.contact_clients.get(contact_id)
        if known:
            return known
        contact = self.sides.contacts.get(contact_id)
        return contact.contact_number if contact and contact.contact_number else f"xero:{contact_id}"

    def linked_entries(self, ids: Iterable[str]) -> list[XeroEntry]:
        found: dict[str, XeroEntry] = {}
        for xero_id in ids:
            if xero_id in self.by_id:
                found[xero_id] = self.by_id[xero_id]
            for member in self.by_group.get(xero_id, ()):
                found[member.xero_id] = member
        return list(found.values())

    def explain(self, client: str, currency: str, cause: Cause, amount: Decimal, document: str, detail: str) -> None:
        if amount:
            self.explanations[(client, currency)].append(Explanation(cause, amount, document, detail))

    def run(self) -> tuple[CurrencyReconciliation, ...]:
        documents = [d for d in self.sides.documents if d.dataset in _EFFECT_DATASETS]
        receipts: dict[str, list[PmsDocument]] = defaultdict(list)
        for document in documents:
            if document.dataset in ("receipts", "returned_receipts") and document.group:
                receipts[document.group].append(document)
            else:
                self.document(document)
        for group in receipts.values():
            self.receipt_group(group)
        self.xero_only()
        return self.totals()

    def document(self, doc: PmsDocument) -> None:
        linked = self.linked_entries(doc.xero_ids)
        self.linked.update(e.xero_id for e in linked)
        live = [e for e in linked if e.live]
        in_xero = sum((e.effect for e in live), ZERO)
        label = _label(doc, linked)
        if doc.settled_outside:
            self.explain(doc.client_id, doc.currency, Cause.SETTLED_OUTSIDE, doc.effect - in_xero, label, doc.reason)
        elif doc.state is State.CANCELLED:
            self.explain(doc.client_id, doc.currency, Cause.CANCELLATION_NOT_APPLIED, -in_xero, label, doc.reason)
        elif doc.state is State.REJECTED:
            self.explain(doc.client_id, doc.currency, Cause.REJECTED, doc.effect - in_xero, label, doc.reason)
        elif doc.state is not State.POSTED:
            self.explain(doc.client_id, doc.currency, Cause.NOT_POSTED, doc.effect - in_xero, label, _why_open(doc))
        elif linked and not live:
            self.explain(doc.client_id, doc.currency, Cause.CANCELLED_IN_XERO, doc.effect, label,
                         f"{linked[0].kind.value} {linked[0].number or linked[0].xero_id} is voided or deleted in Xero")  # fmt: skip
        elif not linked:
            self.explain(doc.client_id, doc.currency, Cause.CANCELLED_IN_XERO, doc.effect, label,
                         "posted, but no longer found in Xero")  # fmt: skip
        elif in_xero != doc.effect:
            self.explain(doc.client_id, doc.currency, Cause.AMOUNT_DIFFERS, doc.effect - in_xero, label,
                         f"{_plain(abs(doc.effect))} in the PMS, {_plain(abs(in_xero))} in Xero")  # fmt: skip

    def receipt_group(self, group: list[PmsDocument]) -> None:
        """A receipt and its returns: the PMS nets them, Xero deletes the payments they return."""
        receipt = next((d for d in group if d.dataset == "receipts"), None)
        returns = [d for d in group if d.dataset == "returned_receipts" and d.state is not State.CANCELLED]
        if receipt is None:  # a return of a receipt the warehouse does not hold: judged on its own
            for returned in returns:
                self.document(returned)
            return
        linked = self.linked_entries(receipt.xero_ids | frozenset().union(*(r.xero_ids for r in returns)))
        self.linked.update(e.xero_id for e in linked)
        in_xero = sum((e.effect for e in linked if e.live), ZERO)
        counted = receipt.state is not State.CANCELLED
        in_pms = (receipt.effect if counted else ZERO) + sum((r.effect for r in returns), ZERO)
        gap = in_pms - in_xero
        if not gap:
            return
        label = _label(receipt, linked)
        client, currency = receipt.client_id, receipt.currency
        open_return = next((r for r in returns if r.state is not State.POSTED), None)
        deleted = [e for e in linked if not e.live]
        if receipt.state is State.CANCELLED:
            self.explain(client, currency, Cause.CANCELLATION_NOT_APPLIED, gap, label, receipt.reason)
        elif receipt.state is State.REJECTED:
            self.explain(client, currency, Cause.REJECTED, gap, label, receipt.reason)
        elif receipt.state is not State.POSTED:
            self.explain(client, currency, Cause.NOT_POSTED, gap, label, _why_open(receipt))
        elif open_return is not None:
            detail = f"returned {open_return.label}: {_why_open(open_return)}"
            self.explain(client, currency, Cause.RETURN_NOT_REVERSED, gap, label, detail)
        elif deleted and not returns:
            self.explain(client, currency, Cause.CANCELLED_IN_XERO, gap, label,
                         f"payment {deleted[0].number or deleted[0].xero_id} deleted in Xero, not returned in the PMS")  # fmt: skip
        else:
            self.explain(client, currency, Cause.AMOUNT_DIFFERS, gap, label,
                         f"{_plain(abs(in_pms))} in the PMS, {_plain(abs(in_xero))} in Xero")  # fmt: skip

    def xero_only(self) -> None:
        ours = {e.xero_id for e in self.entries if e.xero_id in self.linked}
        for entry in self.entries:
            if entry.xero_id in ours or not entry.live:
                continue
            client = self.client_of(entry.contact_id)
            label = f"Xero {entry.kind.value} {entry.number or entry.xero_id}"
            if entry.kind is XeroKind.PAYMENT:
                if entry.document_id not in ours:
                    continue  # on a document only in Xero: that document's open amount tells it
                if entry.xero_id in self.sides.waiting_write_back:
                    self.explain(client, entry.currency, Cause.RECEIPT_NOT_WRITTEN_BACK, -entry.effect, label,
                                 "taken in Xero; written back, waiting for the agent")  # fmt: skip
                # otherwise the write-back has been applied: the PMS holds it too
                continue
            self.explain(client, entry.currency, Cause.ONLY_IN_XERO, -entry.open, label, "not from the PMS")

    def totals(self) -> tuple[CurrencyReconciliation, ...]:
        pms: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        xero: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for key, balance in self.sides.debtors.items():
            pms[key] += balance
        for entry in self.entries:
            if entry.live and entry.kind is not XeroKind.PAYMENT:
                xero[(self.client_of(entry.contact_id), entry.currency)] += entry.open
        keys = set(pms) | set(xero) | set(self.explanations)
        per_currency: dict[str, list[ClientDifference]] = defaultdict(list)
        compared: dict[str, int] = defaultdict(int)
        for client, currency in keys:
            compared[currency] += 1
            line = ClientDifference(
                client, self._name(client), currency, pms[(client, currency)], xero[(client, currency)],
                tuple(self.explanations.get((client, currency), ())),
            )  # fmt: skip
            tolerance = self.sides.tolerances.get(currency, ZERO)
            if line.unexplained and abs(line.unexplained) <= tolerance:
                fx = Explanation(Cause.EXCHANGE_DIFFERENCE, line.unexplained, "client balance",
                                 f"within the {currency} tolerance of {_plain(tolerance)}")  # fmt: skip
                line = ClientDifference(
                    line.client_id, line.name, currency, line.pms, line.xero, (*line.explanations, fx)
                )
            if line.difference or line.explanations:
                per_currency[currency].append(line)
        result = []
        for currency in sorted(compared):
            lines = sorted(per_currency[currency], key=lambda c: (-abs(c.unexplained), -abs(c.difference), c.client_id))
            pms_total = sum((v for (_, cur), v in pms.items() if cur == currency), ZERO)
            xero_total = sum((v for (_, cur), v in xero.items() if cur == currency), ZERO)
            result.append(CurrencyReconciliation(currency, pms_total, xero_total, compared[currency], tuple(lines)))
        return tuple(result)

    def _name(self, client: str) -> str:
        if client in self.sides.clients:
            return self.sides.clients[client]
        if client.startswith("xero:"):
            contact = self.sides.contacts.get(client.removeprefix("xero:"))
            return f"{contact.name} (in Xero only)" if contact else "a contact unknown to the PMS"
        return client


def _label(doc: PmsDocument, linked: list[XeroEntry]) -> str:
    numbers = sorted({e.number for e in linked if e.number and e.kind is not XeroKind.PAYMENT})
    return f"{doc.label} ({', '.join(numbers)})" if numbers else doc.label


def _why_open(doc: PmsDocument) -> str:
    if doc.reason:
        return f"{doc.state.value}: {doc.reason}"
    return {State.READY: "ready: posts on the next run", State.POSTING: "being posted"}.get(doc.state, doc.state.value)


def _plain(amount: Decimal) -> str:
    return f"{amount:,.2f}"
