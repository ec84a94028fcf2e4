"""Foreign currency on payments: the rate a payment carries, the bank account it may go to, BankAmount.

Xero's CurrencyRate is units of the document's currency per one unit of base currency. A payment of
a foreign document goes into a bank account in that currency or in base currency; its BankAmount is
the amount in the bank account's currency (Amount / CurrencyRate, to 2 places, for a base-currency
account). A rate that is given must be greater than zero; one that is not given is the day rate (the
tenant's default rate for the currency, standing in for Xero's XE.com rate).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cynare.sandbox.xero import messages
from cynare.sandbox.xero.money import places, to_base, to_decimal
from cynare.sandbox.xero.state import Account, Tenant

BASE_RATE = Decimal("1.000000")


def given_rate(raw: Any, errors: list[str]) -> Decimal | None:
    """A CurrencyRate from a request: None when absent; refused (with Xero's message) when not > 0."""
    if raw is None or raw == "":
        return None
    rate = to_decimal(raw)
    if rate is None or rate <= 0:
        errors.append(messages.CURRENCY_RATE_POSITIVE)
        return None
    return places(rate, 6)


def day_rate(tenant: Tenant, currency: str) -> Decimal:
    if currency == tenant.base_currency:
        return BASE_RATE
    return tenant.rates.get(currency, BASE_RATE)


def payment_rate(tenant: Tenant, currency: str, raw: Any, errors: list[str]) -> Decimal:
    """The rate a payment of a `currency` document carries: 1 in base currency, else given or day rate."""
    if currency == tenant.base_currency:
        return BASE_RATE
    return given_rate(raw, errors) or day_rate(tenant, currency)


def bank_currency(tenant: Tenant, account: Account) -> str:
    return account.currency_code or tenant.base_currency


def check_bank(tenant: Tenant, account: Account, currency: str, errors: list[str]) -> None:
    """A document is paid from a bank account in its own currency or in base currency."""
    if bank_currency(tenant, account) not in (currency, tenant.base_currency):
        errors.append(messages.BANK_CURRENCY)


def bank_amount(tenant: Tenant, account: Account, currency: str, amount: Decimal, rate: Decimal) -> Decimal:
    """The payment in the bank account's currency."""
    if bank_currency(tenant, account) == currency:
        return amount
    return to_base(amount, rate)
