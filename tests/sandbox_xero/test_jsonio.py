"""JSON out writes each Decimal exactly as its plain-notation text, never as a float or a string."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cynare.sandbox.xero.jsonio import dumps, loads


@pytest.mark.parametrize(
    "value",
    [
        "123.45",
        "-0.01",
        "0.00",
        "-0",
        "0E-6",
        "1.000000",
        "0.000001",
        "1E-7",
        "1E+2",
        "0E+3",
        "-12.3400",
        "123456789012345678901234567890.5",
    ],
)
def test_a_decimal_is_written_as_its_f_format(value: str) -> None:
    amount = Decimal(value)
    assert dumps({"Amount": amount}) == f'{{"Amount":{amount:f}}}'.encode()
    assert loads(dumps([amount]))[0] == amount


def test_strings_and_numbers_around_decimals_keep_their_shape() -> None:
    body = {"A": [Decimal("1.50"), "1.50", 2, True, None, "é\u2028"], "B": {"C": Decimal("1E+1")}}
    assert dumps(body) == b'{"A":[1.50,"1.50",2,true,null,"\\u00e9\\u2028"],"B":{"C":10}}'
    assert json.loads(dumps(body))["A"][1] == "1.50"


def test_other_objects_are_refused() -> None:
    with pytest.raises(TypeError):
        dumps({"A": {1, 2}})
    with pytest.raises(ValueError):
        dumps({"A": float("nan")})


def test_the_marker_character_is_refused_on_the_way_in() -> None:
    with pytest.raises(ValueError):
        loads(b'{"Name": "a\\u0001b"}')
