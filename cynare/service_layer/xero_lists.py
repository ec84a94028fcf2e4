"""Use case: what an entity's Xero organisation offers a mapping, read on demand and kept in the warehouse.

    refresh_xero_options(uow, connector, "UK", "Ann", clock)   # three GETs through UK's own door
    xero_options(uow, "UK")                                      # the kept copy, with when it was read

Accounts (revenue, and expense for bad-debt write-offs) for nominal codes, active tax rates for VAT
codes, active tracking options for offices, departments and fee earners, bank accounts for the PMS's
bank accounts. The pages read the kept copy: Xero is asked only when a person presses "Refresh".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cynare.errors import CynareError
from cynare.service_layer.posting.run import XeroConnector
from cynare.service_layer.unit_of_work import EntityWork, UnitOfWork
from cynare.service_layer.xero_port import XeroCallFailed

XERO_OPTIONS = "xero_options"  # reference dataset: one row per list, and "read" (when, by whom)
LISTS = ("accounts", "tax_rates", "tracking", "bank")
_READ = "read"
# Xero's account classes a PMS nominal can map to: income for bill lines, expense for the bad-debt account.
_NOMINAL_CLASSES = {"REVENUE": "Revenue accounts", "EXPENSE": "Expense accounts (bad-debt write-offs)"}


class XeroListsUnreadable(CynareError):
    """Xero's lists could not be read for the entity (not connected, Xero refused or did not answer)."""


@dataclass(frozen=True, slots=True)
class XeroOption:
    value: str  # what a mapping keeps: "200", "OUTPUT2", "Office/London"
    label: str  # what a person reads: "200 Sales"
    group: str = ""  # "Revenue accounts", or the tracking category


@dataclass(frozen=True, slots=True)
class XeroOptions:
    entity: str
    accounts: tuple[XeroOption, ...] = ()
    tax_rates: tuple[XeroOption, ...] = ()
    tracking: tuple[XeroOption, ...] = ()
    bank: tuple[XeroOption, ...] = ()
    read_at: datetime | None = None  # None: never read
    read_by: str = ""

    def listed(self, name: str) -> tuple[XeroOption, ...]:
        """One list by name (LISTS)."""
        return {"accounts": self.accounts, "tax_rates": self.tax_rates, "tracking": self.tracking,
                "bank": self.bank}[name]  # fmt: skip

    def find(self, name: str, value: str) -> XeroOption | None:
        return next((option for option in self.listed(name) if option.value == value), None)


def xero_options(uow: UnitOfWork, entity: str) -> XeroOptions:
    """The entity's kept copy of Xero's lists (empty, with read_at None, before the first refresh)."""
    with uow.for_entity(entity) as work:
        return read_kept(work)


def read_kept(work: EntityWork) -> XeroOptions:
    rows = work.reference.rows(XERO_OPTIONS)
    read = rows.get(_READ, {})
    at = str(read.get("at") or "")

    def listed(name: str) -> tuple[XeroOption, ...]:
        return tuple(
            XeroOption(str(v), str(label), str(group)) for v, label, group in rows.get(name, {}).get("options", [])
        )

    return XeroOptions(
        work.entity, listed("accounts"), listed("tax_rates"), listed("tracking"), listed("bank"),
        datetime.fromisoformat(at) if at else None, str(read.get("by") or ""),
    )  # fmt: skip


def refresh_xero_options(
    uow: UnitOfWork, connector: XeroConnector, entity: str, by: str, clock: Callable[[], datetime]
) -> XeroOptions:
    """Read the lists from the entity's own organisation (the binding checked first) and keep them; the calls
    count in the entity's usage of the day like posting's."""
    with uow.for_entity(entity) as work:
        binding = work.connection.binding()
        if binding is None:
            raise XeroListsUnreadable(f"{entity} is not connected to a Xero organisation: connect it on the Connect "
                                      "page, then refresh Xero's lists")  # fmt: skip
        try:
            xero = connector.connect(binding, work.connection)
        except CynareError as error:
            raise XeroListsUnreadable(f"Xero's lists could not be read for {entity}: {error}") from None
        try:
            accounts = xero.call("GET", "/Accounts").body
            tax_rates = xero.call("GET", "/TaxRates").body
            tracking = xero.call("GET", "/TrackingCategories").body
        except XeroCallFailed as failure:
            raise XeroListsUnreadable(f"Xero did not give {entity}'s lists ({failure}); try again in a minute, "
                                      "and reconnect the entity if it says so") from None  # fmt: skip
        finally:
            work.usage.add(clock().date(), xero.usage)
        options = XeroOptions(entity, *options_from_xero(accounts, tax_rates, tracking), clock(), by)
        keep(work, options)
        return options


def keep(work: EntityWork, options: XeroOptions) -> None:
    """One write of every list and the read mark: one partition, under 100 rows, so one transaction."""
    rows: list[tuple[str, dict[str, Any]]] = [
        (name, {"options": [[o.value, o.label, o.group] for o in options.listed(name)]}) for name in LISTS
    ]
    at = options.read_at.isoformat() if options.read_at else ""
    rows.append((_READ, {"at": at, "by": options.read_by}))
    work.reference.store(XERO_OPTIONS, rows)


def options_from_xero(
    accounts: Any, tax_rates: Any, tracking: Any
) -> tuple[tuple[XeroOption, ...], tuple[XeroOption, ...], tuple[XeroOption, ...], tuple[XeroOption, ...]]:
    """Xero's answers (parsed JSON) to the four lists: only what is active and can be posted to."""
    nominal: list[XeroOption] = []
    bank: list[XeroOption] = []
    for account in _items(accounts, "Accounts"):
        code, name = _text(account, "Code"), _text(account, "Name")
        if not code or _text(account, "Status") != "ACTIVE":
            continue  # an account without a code cannot be named on a line; an archived one is refused
        if _text(account, "Type") == "BANK":
            currency = _text(account, "CurrencyCode")
            bank.append(XeroOption(code, f"{code} {name}" + (f" ({currency})" if currency else "")))
        elif (group := _NOMINAL_CLASSES.get(_text(account, "Class"))) is not None:
            nominal.append(XeroOption(code, f"{code} {name}", group))
    nominal.sort(key=lambda o: (list(_NOMINAL_CLASSES.values()).index(o.group), o.value))
    rates = [XeroOption(_text(r, "TaxType"), f"{_text(r, 'Name')} ({_text(r, 'TaxType')})")
             for r in _items(tax_rates, "TaxRates") if _text(r, "TaxType") and _text(r, "Status") == "ACTIVE"]  # fmt: skip
    options: list[XeroOption] = []
    for category in _items(tracking, "TrackingCategories"):
        name = _text(category, "Name")
        # Mappings are kept as "Category/Option", split at the first "/": a category named with one cannot be.
        if not name or "/" in name or _text(category, "Status") not in ("", "ACTIVE"):
            continue
        for option in category.get("Options") or []:
            label = _text(option, "Name") if isinstance(option, Mapping) else ""
            if label and _text(option, "Status") in ("", "ACTIVE"):
                options.append(XeroOption(f"{name}/{label}", f"{name}: {label}", name))
    return (
        tuple(nominal),
        tuple(sorted(rates, key=lambda o: o.label)),
        tuple(options),
        tuple(sorted(bank, key=_by_value)),
    )


def _by_value(option: XeroOption) -> str:
    return option.value


def _items(body: Any, name: str) -> Sequence[Mapping[str, Any]]:
    listed = body.get(name) if isinstance(body, Mapping) else None
    return [item for item in listed or [] if isinstance(item, Mapping)]


def _text(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name)
    return str(value).strip() if value is not None else ""
