from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from carecrm.money import Money, to_decimal, validate_currency


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("10.005", "EUR", "10.01"),
        ("1500.4", "JPY", "1500"),
        ("999.5", "XOF", "1000"),
        ("1.2345", "KWD", "1.235"),
    ],
)
def test_amounts_round_to_the_currency_minor_unit(amount, currency, expected):
    assert to_decimal(amount, currency) == Decimal(expected)


@pytest.mark.parametrize("value", [1.5, "abc", "NaN", "Infinity"])
def test_floats_and_non_amounts_are_refused(value):
    with pytest.raises(ValidationError):
        to_decimal(value, "EUR")


@pytest.mark.parametrize("code", ["eur", "EU", "XXX", "ZZZ", "HRK", 978])
def test_only_currencies_in_use_are_accepted(code):
    with pytest.raises(ValidationError):
        validate_currency(code)


def test_money_adds_only_within_one_currency():
    assert Money(Decimal("1.10"), "EUR") + Money(Decimal("2.205"), "EUR") == Money(Decimal("3.31"), "EUR")
    with pytest.raises(ValueError, match="Cannot add USD to EUR"):
        Money(Decimal(1), "EUR") + Money(Decimal(1), "USD")
