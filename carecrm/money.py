"""Money is a Decimal with an ISO 4217 currency code, never a float."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError

# Minor units for the currencies whose exponent is not 2; every other ISO code has cents.
_EXPONENTS = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "HUF": 2,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "TND": 3,
}

MAX_DIGITS = 14
DECIMAL_PLACES = 2


def default_currency() -> str:
    return settings.CARECRM["CURRENCY"]


def validate_currency(code: str) -> str:
    if not isinstance(code, str) or len(code) != 3 or not code.isalpha() or not code.isupper():
        raise ValidationError("Currency must be a three-letter ISO 4217 code such as EUR.")
    return code


def to_decimal(value, currency: str | None = None) -> Decimal:
    """Parse an amount exactly (strings and Decimals, never floats) and round it to the currency's units."""
    if isinstance(value, float):
        raise ValidationError("Amounts are sent as strings or integers, not floats.")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(f"{value!r} is not an amount.") from exc
    if not amount.is_finite():
        raise ValidationError("Amounts must be finite.")
    exponent = _EXPONENTS.get(currency or default_currency(), 2)
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self):
        validate_currency(self.currency)
        object.__setattr__(self, "amount", to_decimal(self.amount, self.currency))

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise ValueError(f"Cannot add {other.currency} to {self.currency}.")
        return Money(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
