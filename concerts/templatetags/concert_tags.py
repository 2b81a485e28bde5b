from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()

CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$"}


@register.filter
def money(amount: Decimal | None, currency: str = "usd") -> str:
    """49.5, "usd" -> "$49.50"; 120 -> "$120"; unknown currency -> "120 CHF"."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    text = intcomma(f"{amount:.0f}" if amount == amount.to_integral() else f"{amount:.2f}")
    symbol = CURRENCY_SYMBOLS.get((currency or "").lower())
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"
