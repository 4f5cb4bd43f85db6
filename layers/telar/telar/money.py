"""Money is Decimal, quantized per currency; never float."""

from decimal import ROUND_HALF_UP, Decimal

# Minor units per currency (ISO 4217 exponent). THB could be paid in whole baht; see docs/decisions.md.
CURRENCY_EXPONENT: dict[str, int] = {"PEN": 2, "THB": 2, "USD": 2}


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency``."""
    exponent = CURRENCY_EXPONENT.get(currency, 2)
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)
