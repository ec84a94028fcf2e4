"""Amounts a PMS keeps as text in another notation are written in the contract's plain notation, or refused."""

from __future__ import annotations

import pytest

from cynare.agent.columns import _decimal


@pytest.mark.parametrize(
    ("given", "written"),
    [("1200.50", "1200.50"), (" 12.5 ", "12.5"), ("1E+3", "1000"), ("+120", "120"), ("1_200.00", "1200.00"),
     ("-0.50", "-0.50"), (".5", "0.5")],
)  # fmt: skip
def test_text_amounts_are_written_in_plain_notation(given: str, written: str) -> None:
    assert _decimal(given) == written


@pytest.mark.parametrize("given", ["１２", "١٢", "NaN", "Infinity", "12,50", "abc"])
def test_amounts_that_cannot_be_read_plainly_are_refused(given: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        _decimal(given)
