"""Money is a Decimal with an ISO 4217 currency code, never a float."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError

# Minor units for the currencies whose exponent is not 2; every other ISO code has cents.
_EXPONENTS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}

# ISO 4217 (List One, as amended to 2025): the codes of the currencies in use today, i.e. what a price
# can be in. Left out on purpose: withdrawn codes (HRK, ANG, BGN, SLL, ZWL, CUC...), the fund codes
# (BOV, CHE, CLF, USN...), and the non-money X codes (gold and other metals, bond units, XDR, XTS testing,
# XXX "no currency"), so a typo or a placeholder is refused rather than stored as money.
_CURRENCIES_IN_USE = """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
    GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR
    MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR
    SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
    USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
ISO_4217 = frozenset(_CURRENCIES_IN_USE.split())

MAX_DIGITS = 14
DECIMAL_PLACES = 2
# The amounts a DECIMAL(MAX_DIGITS, DECIMAL_PLACES) column holds are below this.
_LIMIT = Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES)


def default_currency() -> str:
    return settings.CARECRM["CURRENCY"]


def validate_currency(code: str) -> str:
    if not isinstance(code, str) or len(code) != 3 or not code.isalpha() or not code.isupper():
        raise ValidationError("Currency must be a three-letter ISO 4217 code such as EUR.")
    if code not in ISO_4217:
        raise ValidationError(f"{code} is not a currency in use (ISO 4217).")
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
    _check_range(amount)
    exponent = _EXPONENTS.get(currency or default_currency(), 2)
    rounded = amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)
    _check_range(rounded)  # 999999999999.995 rounds up past the limit
    # -0.001 rounds to -0.00, which would print as "-0.00 EUR".
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _check_range(amount: Decimal) -> None:
    # Checked before quantize too, which raises InvalidOperation past its context's 28 digits; copy_abs
    # and the comparison are exact, where abs() would round to that context (or overflow it).
    if amount.copy_abs() >= _LIMIT:
        raise ValidationError(f"Amounts have at most {MAX_DIGITS - DECIMAL_PLACES} digits before the point.")


def check_precision(amount: Decimal, currency: str) -> None:
    """Refuse an amount finer than the currency's minor unit (1000.50 JPY) instead of rounding it."""
    _check_range(amount)
    exponent = _EXPONENTS.get(currency, 2)
    if amount != amount.quantize(Decimal(1).scaleb(-exponent)):
        raise ValidationError(f"{currency} amounts have {exponent} decimal places at most.")


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
