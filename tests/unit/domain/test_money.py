"""Money: amounts carry their currency and that currency's minor units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cynare.domain.money import KNOWN_CURRENCIES, CurrencyError, Money, has_valid_precision, minor_units, quantize


@pytest.mark.parametrize(
    ("currency", "places"),
    [("GBP", 2), ("EUR", 2), ("USD", 2), ("JPY", 0), ("KRW", 0), ("ISK", 0),
     ("KWD", 3), ("BHD", 3), ("OMR", 3), ("JOD", 3), ("TND", 3)],
)  # fmt: skip
def test_minor_units_per_currency(currency: str, places: int) -> None:
    assert minor_units(currency) == places


@pytest.mark.parametrize("code", ["XXX", "gbp", "", "GB", "POUND"])
def test_an_unknown_currency_is_refused(code: str) -> None:
    assert code not in KNOWN_CURRENCIES
    with pytest.raises(CurrencyError, match="unknown currency code"):
        minor_units(code)
    with pytest.raises(CurrencyError):
        Money(Decimal(1), code)


@pytest.mark.parametrize(
    ("amount", "currency", "valid"),
    [
        ("120.00", "GBP", True),
        ("120.5", "GBP", True),
        ("120", "GBP", True),
        ("120.005", "GBP", False),
        ("120.0050", "GBP", False),
        ("120.1230", "GBP", False),
        ("120.1200", "GBP", True),  # trailing zeros are not extra precision
        ("-0.01", "GBP", True),
        ("-0.001", "GBP", False),
        ("0.000", "GBP", True),
        ("1000", "JPY", True),
        ("1000.00", "JPY", True),
        ("1000.5", "JPY", False),
        ("1E+3", "JPY", True),
        ("0.1", "JPY", False),
        ("1.234", "KWD", True),
        ("1.2345", "KWD", False),
        ("1.2340", "KWD", True),
        ("1.1", "OMR", True),
    ],
)
def test_precision_per_currency(amount: str, currency: str, valid: bool) -> None:
    assert has_valid_precision(Decimal(amount), currency) is valid


def test_money_refuses_more_decimals_than_its_currency_has() -> None:
    assert Money(Decimal("1.5"), "GBP").amount == Decimal("1.5")
    with pytest.raises(CurrencyError, match=r"1\.005 has more decimals than GBP allows"):
        Money(Decimal("1.005"), "GBP")
    with pytest.raises(CurrencyError, match=r"100\.5 has more decimals than JPY allows"):
        Money(Decimal("100.5"), "JPY")
    with pytest.raises(CurrencyError, match=r"1\.0005 has more decimals than KWD allows"):
        Money(Decimal("1.0005"), "KWD")


def test_money_amounts_are_decimals_never_floats() -> None:
    with pytest.raises(TypeError, match="must be a Decimal"):
        Money(0.1, "GBP")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(1, "GBP")  # type: ignore[arg-type]


def test_arithmetic_in_one_currency() -> None:
    a, b = Money(Decimal("100.10"), "GBP"), Money(Decimal("20.02"), "GBP")
    assert a + b == Money(Decimal("120.12"), "GBP")
    assert a - b == Money(Decimal("80.08"), "GBP")
    assert -a == Money(Decimal("-100.10"), "GBP")
    assert a + Money.zero("GBP") == a
    assert Money.zero("JPY") == Money(Decimal(0), "JPY")


@pytest.mark.parametrize("operation", ["add", "sub"])
def test_arithmetic_refuses_mixed_currencies(operation: str) -> None:
    gbp, eur = Money(Decimal(10), "GBP"), Money(Decimal(10), "EUR")
    with pytest.raises(CurrencyError, match="cannot combine GBP with EUR"):
        _ = gbp + eur if operation == "add" else gbp - eur


def test_money_is_immutable() -> None:
    money = Money(Decimal(1), "GBP")
    with pytest.raises(AttributeError):
        money.amount = Decimal(2)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("2.345", "GBP", "2.35"),
        ("2.344", "GBP", "2.34"),
        ("2.355", "GBP", "2.36"),
        ("-2.345", "GBP", "-2.35"),
        ("0.005", "GBP", "0.01"),
        ("2", "GBP", "2.00"),
        ("2.5", "JPY", "3"),
        ("3.5", "JPY", "4"),
        ("2.4999", "JPY", "2"),
        ("-2.5", "JPY", "-3"),
        ("1.2345", "KWD", "1.235"),
        ("1.2344", "KWD", "1.234"),
        ("16.6666666", "TND", "16.667"),
    ],
)
def test_quantize_rounds_half_up_to_the_minor_units(amount: str, currency: str, rounded: str) -> None:
    result = quantize(Decimal(amount), currency)
    assert str(result) == rounded
    assert has_valid_precision(result, currency)


def test_vat_at_twenty_percent_rounds_half_up_per_line() -> None:
    assert quantize(Decimal("0.125"), "GBP") == Decimal("0.13")  # half-even would give 0.12
    assert quantize(Decimal("10.025"), "GBP") == Decimal("10.03")


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(Decimal("1234.5"), "GBP"), "GBP 1,234.50"),
        (Money(Decimal("1234567"), "JPY"), "JPY 1,234,567"),
        (Money(Decimal("-1.2"), "KWD"), "KWD -1.200"),
    ],
)
def test_money_prints_with_its_minor_units(money: Money, text: str) -> None:
    assert str(money) == text
