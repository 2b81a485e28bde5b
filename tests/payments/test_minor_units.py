"""Amounts go to the provider in each currency's minor unit (ISO 4217 / CLDR, via Babel)."""

from decimal import Decimal

import pytest

from payments.providers.base import currency_exponent, from_minor_units, to_minor_units

# Stripe's published zero-decimal list: CLDR agrees on every one of them.
STRIPE_ZERO_DECIMAL = [
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
]
STRIPE_THREE_DECIMAL = ["bhd", "jod", "kwd", "omr", "tnd"]


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("49.00"), "usd", 4900),
        (Decimal("0.01"), "USD", 1),
        (Decimal("5000"), "jpy", 5000),
        (Decimal("5000.00"), "JPY", 5000),
        (Decimal("12.50"), "kwd", 12500),
        (Decimal("12.345"), "kwd", 12345),
        (Decimal("1000"), "isk", 100000),
    ],
)
def test_amounts_round_trip_through_minor_units(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor
    assert from_minor_units(minor, currency) == amount


def test_amounts_keep_two_places_at_least_as_the_api_writes_them():
    assert str(from_minor_units(4900, "usd")) == "49.00"
    assert str(from_minor_units(5000, "jpy")) == "5000.00"
    assert str(from_minor_units(12500, "kwd")) == "12.500"


@pytest.mark.parametrize("currency", STRIPE_ZERO_DECIMAL)
def test_stripe_zero_decimal_currencies_have_no_minor_unit(currency):
    assert currency_exponent(currency) == 0


@pytest.mark.parametrize("currency", STRIPE_THREE_DECIMAL)
def test_stripe_three_decimal_currencies_have_three_digits(currency):
    assert currency_exponent(currency) == 3
