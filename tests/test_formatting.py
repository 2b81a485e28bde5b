"""One formatter for money and venue times (config.formatting) and its template filters."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template import Context, Template

from config.formatting import format_money, format_venue_time, is_iso_currency

# 04:00 UTC on 22 December is the evening of the 21st in Los Angeles.
WINTER_EVENING_UTC = datetime(2026, 12, 22, 4, 0, tzinfo=UTC)
SUMMER_UTC = datetime(2026, 7, 10, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("120"), "usd", "$120.00"),
        (Decimal("49.5"), "USD", "$49.50"),
        (Decimal("1234.5"), "usd", "$1,234.50"),
        (Decimal("5000.00"), "jpy", "¥5,000"),
        (Decimal("75"), "gbp", "£75.00"),
        (Decimal("12.5"), "kwd", "KWD12.500"),
        (Decimal("0"), "eur", "€0.00"),
    ],
)
def test_money_is_written_by_locale_and_currency(amount, currency, text):
    assert format_money(amount, currency, "en_US") == text


def test_money_follows_the_locale():
    assert format_money(Decimal("1234.5"), "eur", "de_DE") == "1.234,50\xa0€"


def test_no_amount_is_no_text():
    assert format_money(None, "usd") == ""


@pytest.mark.parametrize(
    ("moment", "zone", "text"),
    [
        (WINTER_EVENING_UTC, "America/Los_Angeles", "Mon 21 Dec, 20:00 PST"),
        (WINTER_EVENING_UTC, "Europe/London", "Tue 22 Dec, 04:00 GMT"),
        (SUMMER_UTC, "Europe/London", "Fri 10 Jul, 20:00 BST"),
        (WINTER_EVENING_UTC, "Asia/Tokyo", "Tue 22 Dec, 13:00 JST"),
        (WINTER_EVENING_UTC, "America/Sao_Paulo", "Tue 22 Dec, 01:00 UTC-3"),
        (WINTER_EVENING_UTC, "Asia/Kolkata", "Tue 22 Dec, 09:30 IST"),
        (WINTER_EVENING_UTC, "UTC", "Tue 22 Dec, 04:00 UTC"),
    ],
)
def test_venue_time_is_the_venue_wall_clock_with_its_zone_named(moment, zone, text):
    assert format_venue_time(moment, zone, locale="en_US") == text


def test_venue_time_styles():
    moment = WINTER_EVENING_UTC
    zone = "America/Los_Angeles"
    assert format_venue_time(moment, zone, "long", "en_US") == "Monday 21 December 2026, 20:00 PST"
    assert format_venue_time(moment, zone, "date", "en_US") == "21 Dec 2026"
    assert format_venue_time(moment, zone, "time", "en_US") == "20:00 PST"


@pytest.mark.parametrize(
    ("code", "valid"), [("usd", True), ("JPY", True), ("kwd", True), ("xyz", False), ("", False)]
)
def test_currencies_are_checked_against_iso_4217(code, valid):
    assert is_iso_currency(code) is valid


def test_template_filters_render_money_and_venue_time():
    class Venue:
        timezone = "America/Los_Angeles"

    html = Template(
        "{% load concert_tags %}{{ price|money:'jpy' }} | {{ when|venue_time:venue }} | "
        "{% venue_clock when venue 'short' %}"
    ).render(Context({"price": Decimal("8800"), "when": WINTER_EVENING_UTC, "venue": Venue()}))
    assert html == (
        "¥8,800 | Mon 21 Dec, 20:00 PST | "
        '<time datetime="2026-12-22T04:00:00Z" data-venue-tz="America/Los_Angeles">'
        "Mon 21 Dec, 20:00 PST</time>"
    )
