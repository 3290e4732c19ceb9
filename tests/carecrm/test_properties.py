"""Properties of money parsing and formatting (carecrm.money), over any amount and any input: exact
Decimals in the currency's minor unit, rounding half away from zero, no cent lost in a sum, a printed
amount that parses back to itself, and anything else refused with a ValidationError."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from carecrm.money import (
    _EXPONENTS,
    DECIMAL_PLACES,
    ISO_4217,
    MAX_DIGITS,
    Money,
    check_precision,
    to_decimal,
    validate_currency,
)

CURRENCIES = sorted(ISO_4217)
# What a DECIMAL(MAX_DIGITS, DECIMAL_PLACES) column holds before the point: the largest storable amount.
INTEGER_DIGITS = MAX_DIGITS - DECIMAL_PLACES
LARGEST = 10**INTEGER_DIGITS - 1

currencies = st.sampled_from(CURRENCIES)


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-_EXPONENTS.get(currency, 2))


@st.composite
def exact_amounts(draw, currency: str) -> Decimal:
    """An amount the currency can hold exactly, up to the largest the database stores, either sign."""
    exponent = _EXPONENTS.get(currency, 2)
    units = draw(st.integers(min_value=-LARGEST * 10**exponent, max_value=LARGEST * 10**exponent))
    return Decimal(units).scaleb(-exponent)


# Text shaped like a number, with the shapes a store or a spreadsheet sends: signs, spaces, separators,
# exponents (small and absurd), many digits, many decimals.
number_like_text = st.from_regex(
    r"\A\s?[+-]?\d{0,32}(\.\d{0,12})?([eE][+-]?\d{1,22})?\s?\Z", fullmatch=True
) | st.sampled_from(["-0", "-0.001", "+0.00", "1_000", "0e100", "1e-999999999", ".5", "5.", "١٢"])

any_input = st.one_of(
    number_like_text,
    st.text(max_size=40),
    st.integers(),
    st.decimals(),  # includes NaN, sNaN and infinities
    st.floats(),
    st.none(),
    st.booleans(),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@given(data=st.data(), currency=currencies)
def test_an_exact_amount_parses_to_itself_from_text_and_from_its_decimal(data, currency):
    # given an amount the currency holds exactly
    amount = data.draw(exact_amounts(currency))

    # when it is parsed from its text and from the Decimal itself
    parsed = {to_decimal(str(amount), currency), to_decimal(amount, currency)}

    # then both are that amount, a Decimal in the currency's minor unit: no cent added or lost
    assert parsed == {amount}
    (value,) = parsed
    assert type(value) is Decimal
    assert value.as_tuple().exponent == -_EXPONENTS.get(currency, 2)


@given(data=st.data(), currency=currencies)
def test_a_printed_amount_parses_back_to_the_same_money(data, currency):
    # given money in any currency
    money = Money(data.draw(exact_amounts(currency)), currency)

    # when it is printed ("12.50 EUR") and the text is read back
    amount_text, code = str(money).split(" ")

    # then it is the same money, and the printed amount has exactly the currency's decimals
    assert Money(to_decimal(amount_text, code), code) == money
    decimals = _EXPONENTS.get(currency, 2)
    assert len(amount_text.partition(".")[2]) == decimals


@given(
    currency=currencies,
    amount=st.decimals(min_value=-LARGEST, max_value=LARGEST, places=6, allow_nan=False),
)
@example(currency="EUR", amount=Decimal("10.005"))
@example(currency="EUR", amount=Decimal("-10.005"))
@example(currency="EUR", amount=Decimal("-0.004"))
@example(currency="JPY", amount=Decimal("-0.5"))
def test_rounding_is_to_the_nearest_minor_unit_half_away_from_zero(currency, amount):
    # when an amount finer than the currency's minor unit is parsed
    rounded = to_decimal(str(amount), currency)

    # then it is a whole number of minor units, the nearest one, a tie going away from zero
    unit = minor_unit(currency)
    assert rounded % unit == 0
    assert abs(rounded - amount) <= unit / 2
    if abs(rounded - amount) == unit / 2:
        assert abs(rounded) > abs(amount)
    # and nothing is ever minus zero ("-0.00 EUR" on a receipt)
    assert not (rounded == 0 and rounded.is_signed())


@given(currency=currencies, data=st.data())
def test_a_sum_of_money_loses_no_cent(currency, data):
    # given a few amounts whose total the database can still hold
    amounts = data.draw(st.lists(exact_amounts(currency), min_size=1, max_size=6))
    total = sum(amounts, Decimal(0))
    if abs(total) > LARGEST:
        return

    # when they are added as Money
    added = Money(amounts[0], currency)
    for amount in amounts[1:]:
        added += Money(amount, currency)

    # then the result is the exact sum
    assert added == Money(total, currency)
    assert added.amount == total


@given(value=any_input, currency=currencies)
@example(value="1e30", currency="EUR")
@example(value="1" * 27, currency="EUR")
@example(value=10**30, currency="EUR")
@example(value="999999999999.995", currency="EUR")
def test_any_input_is_an_amount_or_refused_with_a_validation_error(value, currency):
    # when anything at all is parsed as an amount
    try:
        parsed = to_decimal(value, currency)
    except ValidationError as refused:
        # then a refusal says why, in words
        assert refused.messages and all(refused.messages)
        return

    # or else it is a finite Decimal in the currency's minor unit that the database can store
    assert not isinstance(value, float)
    assert type(parsed) is Decimal and parsed.is_finite()
    assert parsed.as_tuple().exponent == -_EXPONENTS.get(currency, 2)
    assert abs(parsed) <= LARGEST + 1 - minor_unit(currency)


@given(value=number_like_text, currency=currencies)
@example(value="1e30", currency="EUR")
def test_checking_the_precision_of_any_amount_answers_or_refuses_in_words(value, currency):
    # given any amount a serializer could have let through
    try:
        amount = Decimal(value)
    except ArithmeticError:
        return

    # when its precision is checked against the currency
    try:
        check_precision(amount, currency)
    except ValidationError as refused:
        # then a refusal says why, in words
        assert refused.messages and all(refused.messages)
        return

    # or else it was a whole number of minor units
    assert amount.is_finite() and amount % minor_unit(currency) == 0


@given(code=st.one_of(st.sampled_from(CURRENCIES), st.text(max_size=5), st.integers(), st.none()))
def test_a_currency_is_an_iso_code_in_use_or_refused(code):
    try:
        accepted = validate_currency(code)
    except ValidationError as refused:
        assert code not in ISO_4217
        assert refused.messages
    else:
        assert accepted == code and code in ISO_4217
