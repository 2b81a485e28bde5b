"""Template filters for money and venue times; the rules live in config.formatting."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import template
from django.utils.html import format_html

from config import formatting

register = template.Library()


def _zone(venue) -> str:
    """A concert (or anything with .timezone), or a zone name."""
    return getattr(venue, "timezone", venue) or "UTC"


@register.filter
def money(amount: Decimal | None, currency: str = "usd") -> str:
    """{{ price|money:currency }} -> "$49.00", "¥5,000" (Babel, the active locale)."""
    return formatting.format_money(amount, currency)


@register.filter
def venue_time(moment: datetime | None, venue, style: str = "short") -> str:
    """{{ concert.starts_at|venue_time:concert }} -> "Mon 21 Dec, 20:00 PST" (plain text)."""
    return formatting.format_venue_time(moment, _zone(venue), style)


@register.filter
def venue_date(moment: datetime | None, venue) -> str:
    return formatting.format_venue_time(moment, _zone(venue), "date")


@register.simple_tag
def venue_clock(moment: datetime | None, venue, style: str = "short") -> str:
    """A <time> in the venue's zone; static/concerts/local-time.js adds the fan's own time
    next to it when their zone differs (the UTC instant and the venue zone ride along)."""
    if moment is None:
        return ""
    zone = _zone(venue)
    return format_html(
        '<time datetime="{}" data-venue-tz="{}">{}</time>',
        formatting.iso_utc(moment),
        zone,
        formatting.format_venue_time(moment, zone, style),
    )


@register.simple_tag
def venue_format(moment: datetime | None, venue, style: str = "short") -> str:
    """{% venue_format concert.starts_at concert "month" %}: plain text in any style."""
    return formatting.format_venue_time(moment, _zone(venue), style)
