"""The Xero side of the reconciliation: an entity's receivables, read from its organisation, and its debtors
control account on the trial balance.

    read = refresh_ledger(work.xero_ledger, work.cursors, xero, now)
    control = read_control(xero, as_at)

`refresh_ledger` keeps the cached ledger (XeroLedgerRepository) up to date by reading only what changed
since the last run: each resource with its own cursor ("reconcile:Invoices", ...; apart from the sync's
cursors) sent as If-Modified-Since, in pages of 1,000. Sales invoices, sales credit notes, receive
overpayments, the payments and refunds on them, and the contacts (names and ContactNumbers). Each page
is saved as it arrives, and a cursor moves only once all its records are saved, so a run that stops
half way reads them again (saving is an upsert).

Where a cursor stops, and why nothing is missed:
- If-Modified-Since is to the second and Xero does not say whether it is inclusive, so each list is
  asked from a second before its cursor. What comes back stamped at or before the cursor (to the
  millisecond) was saved by an earlier run and is skipped.
- A cursor never moves past a few minutes before the run began. A record Xero stamped just before a
  read but had not yet shown, or one changed while a read of several pages ran (and so moved past a
  page already read), is stamped after the cursor, and the next run reads it.

An overpayment's entry keeps the id of the RECEIVE-OVERPAYMENT bank transaction that made it in
`group_id` (Xero's Overpayment does not carry it), so a document that recorded either id links to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from cynare.adapters.xero.jsonio import xero_date, xero_datetime
from cynare.domain.reconciliation import ControlFigures, XeroContact, XeroEntry, XeroKind
from cynare.errors import CynareError
from cynare.service_layer.reconciliation.ports import XeroLedgerRepository
from cynare.service_layer.xero_port import CursorRepository, XeroApi
from cynare.service_layer.xero_records import items_of, part_of, text_of

PAGE_SIZE = 1000  # Xero's largest page
CURSOR_PREFIX = "reconcile:"  # never the sync's cursors: the two read on their own schedules
_OVERLAP = timedelta(seconds=1)  # asked from this much before a cursor: Xero's stamps are to the second
_SETTLE = timedelta(minutes=5)  # a cursor stays this far behind the run's start (clocks agree within it)
_LIVE = frozenset({"AUTHORISED", "PAID"})
_PAYMENT_ON_INVOICE = "ACCRECPAYMENT"
_REFUNDS = ("ARCREDITPAYMENT", "AROVERPAYMENTPAYMENT")  # a credit note's or an overpayment's money paid back
ZERO = Decimal(0)
ONE = Decimal(1)


class LedgerUnreadable(CynareError):
    """Xero answered with something the reconciliation cannot read; the message says what and what to do."""


@dataclass(frozen=True, slots=True)
class LedgerRefresh:
    """What one refresh cost and found."""

    calls: int  # calls to Xero this refresh made
    read: Mapping[str, int]  # resource -> records changed since its cursor, each saved
    first_read: bool  # some resource had no cursor yet and was read from the beginning
    again: Mapping[str, int] = field(default_factory=dict)  # resource -> records sent again, already held

    @property
    def records(self) -> int:
        return sum(self.read.values())


@dataclass(frozen=True, slots=True)
class _Resource:
    name: str  # Xero's list, its collection key in the reply, and the cursor's suffix
    where: str = ""
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def cursor(self) -> str:
        return f"{CURSOR_PREFIX}{self.name}"

    def params(self, page: int) -> dict[str, str]:
        params = {**dict(self.extra), "page": str(page), "pageSize": str(PAGE_SIZE)}
        if self.where:
            params["where"] = self.where
        return params


_SUMMARY = (("summaryOnly", "true"),)  # the spec allows it on Contacts and Invoices only
CONTACTS = _Resource("Contacts", extra=(*_SUMMARY, ("includeArchived", "true")))
INVOICES = _Resource("Invoices", 'Type=="ACCREC"', _SUMMARY)
CREDIT_NOTES = _Resource("CreditNotes", 'Type=="ACCRECCREDIT"')
OVERPAYMENTS = _Resource("Overpayments", 'Type=="RECEIVE-OVERPAYMENT"')
PAYMENTS = _Resource("Payments", " OR ".join(f'PaymentType=="{kind}"' for kind in (_PAYMENT_ON_INVOICE, *_REFUNDS)))
RESOURCES = (CONTACTS, INVOICES, CREDIT_NOTES, OVERPAYMENTS, PAYMENTS)


# --- Xero's JSON -----------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    # int or Decimal as the JSON reader gives them; a float would already have lost the exact amount.
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        return None
    try:
        parsed = Decimal(value.replace(",", "").strip() if isinstance(value, str) else value)
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() else None


def _amount(record: Mapping[str, Any], name: str, what: str, default: Decimal | None = None) -> Decimal:
    value = record.get(name)
    found = _number(value)
    if found is not None:
        return found
    if value is None and default is not None:
        return default
    raise LedgerUnreadable(
        f"Xero's {what} has no readable {name} ({value!r}), so the ledger cannot be reconciled; "
        "if it persists, report it with this message"
    )


def _rate(record: Mapping[str, Any], what: str) -> Decimal:
    rate = _amount(record, "CurrencyRate", what, ONE)
    return rate if rate > 0 else ONE  # Xero may give 0 or nothing on a base-currency record


def _updated(record: Mapping[str, Any]) -> datetime | None:
    value = record.get("UpdatedDateUTC")
    try:
        return xero_datetime(value) if isinstance(value, str) and value.strip() else None
    except ValueError:
        return None


def _date(record: Mapping[str, Any]) -> date | None:
    value = record.get("Date")
    try:
        return xero_date(value) if isinstance(value, str) and value.strip() else None
    except ValueError:
        return None


def _id(record: Mapping[str, Any], name: str, what: str) -> str:
    found = text_of(record, name)
    if not found:
        raise LedgerUnreadable(f"Xero sent {what} without its {name}; if it persists, report it with this message")
    return found


def _minus(value: Decimal) -> Decimal:
    return ZERO - value  # never a negative zero in a report


# --- records to entries ----------------------------------------------------------------------------


def contact(record: Mapping[str, Any]) -> XeroContact:
    return XeroContact(_id(record, "ContactID", "a contact"), text_of(record, "Name"), text_of(record, "ContactNumber"))


def invoice(record: Mapping[str, Any]) -> XeroEntry | None:
    if record.get("Type") != "ACCREC":
        return None
    what = f"invoice {text_of(record, 'InvoiceNumber') or text_of(record, 'InvoiceID')}"
    live = record.get("Status") in _LIVE
    return XeroEntry(
        xero_id=_id(record, "InvoiceID", "an invoice"),
        kind=XeroKind.INVOICE,
        contact_id=text_of(part_of(record, "Contact"), "ContactID"),
        currency=text_of(record, "CurrencyCode"),
        number=text_of(record, "InvoiceNumber"),
        effect=_amount(record, "Total", what),
        open=_amount(record, "AmountDue", what, None if live else ZERO),
        live=live,
        rate=_rate(record, what),
        updated=_updated(record),
    )


def credit_note(record: Mapping[str, Any]) -> XeroEntry | None:
    if record.get("Type") != "ACCRECCREDIT":
        return None
    return _credit(record, XeroKind.CREDIT_NOTE, "CreditNoteID", "CreditNoteNumber", "credit note")


def overpayment(record: Mapping[str, Any], bank_transaction_id: str = "") -> XeroEntry | None:
    if record.get("Type") != "RECEIVE-OVERPAYMENT":
        return None
    return _credit(record, XeroKind.OVERPAYMENT, "OverpaymentID", "Reference", "overpayment", bank_transaction_id)


def _credit(
    record: Mapping[str, Any], kind: XeroKind, id_field: str, number_field: str, noun: str, group_id: str = ""
) -> XeroEntry:
    """A credit note or an overpayment: what the client is owed lowers the balance, by its remaining credit."""
    what = f"{noun} {text_of(record, number_field) or text_of(record, id_field)}"
    live = record.get("Status") in _LIVE
    return XeroEntry(
        xero_id=_id(record, id_field, f"a {noun}" if noun[0] not in "aeiou" else f"an {noun}"),
        kind=kind,
        contact_id=text_of(part_of(record, "Contact"), "ContactID"),
        currency=text_of(record, "CurrencyCode"),
        number=text_of(record, number_field),
        effect=_minus(_amount(record, "Total", what)),
        open=_minus(_amount(record, "RemainingCredit", what, None if live else ZERO)),
        live=live,
        rate=_rate(record, what),
        updated=_updated(record),
        group_id=group_id,
    )


def payment(record: Mapping[str, Any]) -> XeroEntry | None:
    kind = record.get("PaymentType")
    if kind != _PAYMENT_ON_INVOICE and kind not in _REFUNDS:
        return None
    # Xero puts a refunded credit note or overpayment under `Invoice` too (its id in InvoiceID).
    document = (
        part_of(record, "Invoice") or part_of(record, "CreditNote") or part_of(record, "Overpayment")
    )  # fmt: skip
    document_id = (
        text_of(document, "InvoiceID") or text_of(document, "CreditNoteID") or text_of(document, "OverpaymentID")
    )  # fmt: skip
    what = f"payment {text_of(record, 'PaymentID')}"
    amount = _amount(record, "Amount", what)
    return XeroEntry(
        xero_id=_id(record, "PaymentID", "a payment"),
        kind=XeroKind.PAYMENT,
        contact_id=text_of(part_of(document, "Contact"), "ContactID"),
        currency=text_of(document, "CurrencyCode"),
        number=text_of(record, "Reference"),
        effect=_minus(amount) if kind == _PAYMENT_ON_INVOICE else amount,
        open=ZERO,
        live=record.get("Status") == "AUTHORISED",
        rate=_rate(record, what),
        updated=_updated(record),
        group_id=text_of(record, "BatchPaymentID"),
        document_id=document_id,
    )


# --- reading ---------------------------------------------------------------------------------------


def _pages(xero: XeroApi, resource: _Resource, since: datetime | None) -> Iterator[list[Mapping[str, Any]]]:
    page = 1
    while True:
        reply = xero.call("GET", f"/{resource.name}", params=resource.params(page), if_modified_since=since)
        body = reply.body if reply.status != 304 and isinstance(reply.body, Mapping) else {}
        records = items_of(body, resource.name)
        yield records
        if len(records) < PAGE_SIZE:
            return
        page += 1


@dataclass
class _Progress:
    """One resource's read: what came back and how far its cursor may move."""

    cursor: datetime | None
    fresh: int = 0
    again: int = 0
    newest: datetime | None = None

    @property
    def since(self) -> datetime | None:
        return self.cursor - _OVERLAP if self.cursor is not None else None

    def changed(self, records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The records not already held: stamped after the cursor (or not stamped at all)."""
        changed = []
        for record in records:
            updated = _updated(record)
            if self.cursor is not None and updated is not None and updated <= self.cursor:
                self.again += 1
                continue
            changed.append(record)
            if updated is not None and (self.newest is None or updated > self.newest):
                self.newest = updated
        self.fresh += len(changed)
        return changed

    def next_cursor(self, started: datetime) -> datetime | None:
        """Where the cursor moves to, or None to leave it."""
        if self.newest is None:
            return None
        at = min(self.newest, started - _SETTLE)
        return at if self.cursor is None or at > self.cursor else None


def _bank_transactions(xero: XeroApi, overpayments: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """OverpaymentID -> BankTransactionID for these overpayments: one read of the RECEIVE-OVERPAYMENT bank
    transactions dated from the earliest of them (each shares its overpayment's date; they are few)."""
    dates = [_date(record) for record in overpayments]
    where = 'Type=="RECEIVE-OVERPAYMENT"'
    if dates and None not in dates:
        first = min(d for d in dates if d is not None)
        where += f" AND Date >= DateTime({first.year}, {first.month}, {first.day})"
    found: dict[str, str] = {}
    for records in _pages(xero, _Resource("BankTransactions", where), None):
        for record in records:
            overpayment_id, transaction_id = text_of(record, "OverpaymentID"), text_of(record, "BankTransactionID")
            if overpayment_id and transaction_id:
                found[overpayment_id.lower()] = transaction_id
    return found


def refresh_ledger(
    ledger: XeroLedgerRepository, cursors: CursorRepository, xero: XeroApi, now: datetime
) -> LedgerRefresh:
    """Bring the entity's cached Xero ledger up to date with what changed in Xero since the last refresh.

    `now` is when the refresh began (aware UTC): no cursor moves past a few minutes before it.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("refresh_ledger needs an aware UTC time for now")
    started = now.astimezone(UTC)
    calls_before = xero.usage.calls
    read: dict[str, int] = {}
    again: dict[str, int] = {}
    first_read = False
    for resource in RESOURCES:
        progress = _Progress(cursors.get(resource.cursor))
        held: list[Mapping[str, Any]] = []
        for page in _pages(xero, resource, progress.since):
            records = progress.changed(page)
            if not records:
                continue
            if resource is OVERPAYMENTS:
                held.extend(records)  # saved with their bank transactions' ids, below
            elif resource is CONTACTS:
                ledger.save_contacts([contact(record) for record in records])
            else:
                ledger.save_entries(_entries(resource, records))
        if held:
            transactions = _bank_transactions(xero, held)
            ledger.save_entries(
                [e for r in held if (e := overpayment(r, transactions.get(text_of(r, "OverpaymentID").lower(), "")))]
            )
        # Only now that every record of the resource is saved.
        moved = progress.next_cursor(started)
        if moved is not None:
            cursors.set(resource.cursor, moved)
        first_read = first_read or progress.cursor is None
        read[resource.name] = progress.fresh
        again[resource.name] = progress.again
    return LedgerRefresh(xero.usage.calls - calls_before, read, first_read, again)


def _entries(resource: _Resource, records: Sequence[Mapping[str, Any]]) -> list[XeroEntry]:
    mapper = {INVOICES.name: invoice, CREDIT_NOTES.name: credit_note, PAYMENTS.name: payment}[resource.name]
    return [entry for record in records if (entry := mapper(record)) is not None]


# --- the debtors control account -------------------------------------------------------------------


def read_control(xero: XeroApi, as_at: date) -> ControlFigures:
    """The debtors control account's balance on Xero's trial balance at `as_at`, in base currency (debit positive)."""
    account = _debtors_account(xero)
    label = " ".join(part for part in (text_of(account, "Code"), text_of(account, "Name")) if part)
    reply = xero.call("GET", "/Reports/TrialBalance", params={"date": as_at.isoformat()})
    reports = items_of(reply.body if isinstance(reply.body, Mapping) else {}, "Reports")
    if not reports:
        raise LedgerUnreadable(
            f"Xero answered {xero.entity}'s trial balance request without a report, so the debtors control "
            "account cannot be checked; try again later, and report it if it persists"
        )
    return ControlFigures(label or "debtors control account", _balance(reports[0], account), as_at)


def _debtors_account(xero: XeroApi) -> Mapping[str, Any]:
    reply = xero.call("GET", "/Accounts")
    accounts = items_of(reply.body if isinstance(reply.body, Mapping) else {}, "Accounts")
    debtors = [a for a in accounts if a.get("SystemAccount") == "DEBTORS"]
    debtors.sort(key=lambda a: a.get("Status") != "ACTIVE")
    if not debtors:
        raise LedgerUnreadable(
            f"{xero.entity}'s Xero organisation shows no debtors control account (an account with SystemAccount "
            "DEBTORS, usually 610 Accounts Receivable), so the control check cannot be made. Check the chart of "
            "accounts in Xero, and that the connection has the accounting.settings scope (reconnect the entity "
            "if not)"
        )
    return debtors[0]


def _balance(report: Mapping[str, Any], account: Mapping[str, Any]) -> Decimal:
    """Debit less credit on the account's row; an account with nothing on it has no row, so nil.

    The YTD columns when the report has them: on a balance sheet account they hold its balance, while
    Debit and Credit may be the period's movement only.
    """
    rows = items_of(report, "Rows")
    header = next((r for r in rows if r.get("RowType") == "Header"), {})
    titles = [text_of(c, "Value").strip().lower() for c in items_of(header, "Cells")]
    debit, credit = _columns(titles)
    row = _account_row(rows, account)
    if row is None:
        return ZERO
    cells = items_of(row, "Cells")
    if max(debit, credit) >= len(cells):
        raise LedgerUnreadable(
            "Xero's trial balance row for the debtors control account has fewer columns than its header; "
            "report it with this message"
        )
    what = f"trial balance row {text_of(cells[0], 'Value')!r}"
    return _cell(cells[debit], what) - _cell(cells[credit], what)


def _columns(titles: list[str]) -> tuple[int, int]:
    for debit, credit in (("ytd debit", "ytd credit"), ("debit", "credit")):
        if debit in titles and credit in titles:
            return titles.index(debit), titles.index(credit)
    raise LedgerUnreadable(
        f"Xero's trial balance has no Debit and Credit columns (its header: {titles}), so the debtors control "
        "account cannot be read; report it with this message"
    )


def _account_row(rows: list[Mapping[str, Any]], account: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The row Xero ties to the account by its id (each cell's Attribute "account"), else by "Name (Code)"."""
    account_id = text_of(account, "AccountID").lower()
    code = text_of(account, "Code")
    by_label: Mapping[str, Any] | None = None
    for row in _rows(rows):
        cells = items_of(row, "Cells")
        if not cells:
            continue
        ids = {text_of(a, "Value").lower() for a in items_of(cells[0], "Attributes") if a.get("Id") == "account"}
        if account_id and account_id in ids:
            return row
        if code and by_label is None and text_of(cells[0], "Value").strip().endswith(f"({code})"):
            by_label = row
    return by_label


def _rows(rows: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for row in rows:
        if row.get("RowType") == "Section":
            yield from _rows(items_of(row, "Rows"))
        elif row.get("RowType") == "Row":
            yield row


def _cell(cell: Mapping[str, Any], what: str) -> Decimal:
    value = cell.get("Value")
    if value is None or (isinstance(value, str) and not value.strip()):
        return ZERO
    found = _number(value)
    if found is None:
        raise LedgerUnreadable(f"Xero's {what} holds {value!r}, which is not an amount; report it with this message")
    return found
