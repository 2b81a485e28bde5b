"""The one home of how money and venue times are written for people (pages, emails, PDFs).

The API never uses these: it writes amounts as decimal strings and times as ISO 8601 UTC.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime, tzinfo
from decimal import Decimal

from babel.dates import format_datetime
from babel.numbers import format_currency, get_currency_precision, list_currencies
from django.utils import translation

DEFAULT_LOCALE = "en_US"

# Babel patterns (CLDR): "Mon 21 Dec, 20:00", "Monday 21 December 2026, 20:00", ...
VENUE_TIME_PATTERNS = {
    "short": "EEE d MMM, HH:mm",
    "long": "EEEE d MMMM y, HH:mm",
    "medium": "EEE d MMM y, HH:mm",
    "date": "d MMM y",
    "time": "HH:mm",
    # Without the zone: the parts of a calendar-leaf date
    "month": "MMM",
    "day": "d",
    "day_month": "d MMM",
}
ZONELESS_STYLES = frozenset({"date", "month", "day", "day_month"})


def current_locale() -> str:
    """The Babel locale of the active Django language ("en-us" -> "en_US")."""
    return translation.to_locale(translation.get_language() or "en-us") or DEFAULT_LOCALE


@functools.cache
def iso_currencies() -> frozenset[str]:
    """ISO 4217 codes CLDR knows, upper case."""
    return frozenset(list_currencies())


@functools.cache
def available_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_iso_currency(code: str) -> bool:
    return bool(code) and code.upper() in iso_currencies()


def currency_precision(currency: str) -> int:
    """Digits after the decimal point in CLDR: USD 2, JPY 0, KWD 3."""
    return get_currency_precision(currency.upper())


def format_money(
    amount: Decimal | int | float | str | None, currency: str, locale: str = ""
) -> str:
    """49 usd -> "$49.00", 5000 jpy -> "¥5,000", 12.5 kwd -> "KWD 12.500" (locale's rules)."""
    if amount is None or amount == "":
        return ""
    return format_currency(
        Decimal(str(amount)), (currency or "usd").upper(), locale=locale or current_locale()
    )


def zone_of(tz: tzinfo | str | None) -> tzinfo:
    if tz is None or tz == "":
        return UTC
    if isinstance(tz, str):
        return zoneinfo.ZoneInfo(tz)
    return tz


def zone_abbreviation(moment: datetime) -> str:
    """PST, GMT, BST, JST, CET; zones without a letter abbreviation read "UTC-3"."""
    name = moment.tzname() or "UTC"
    if name[0] in "+-":
        hours, minutes = int(name[1:3]), int(name[3:5] or 0) if len(name) > 3 else 0
        return f"UTC{name[0]}{hours}" + (f":{minutes:02d}" if minutes else "")
    return name


def format_venue_time(
    moment: datetime | None, tz: tzinfo | str | None, style: str = "short", locale: str = ""
) -> str:
    """A UTC moment as the venue's wall clock, zone named: "Mon 21 Dec, 20:00 PST"."""
    if moment is None:
        return ""
    local = moment.astimezone(zone_of(tz))
    text = format_datetime(
        local, VENUE_TIME_PATTERNS[style], tzinfo=local.tzinfo, locale=locale or current_locale()
    )
    if style in ZONELESS_STYLES:
        return text
    return f"{text} {zone_abbreviation(local)}"


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a trailing Z, as the API writes times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
