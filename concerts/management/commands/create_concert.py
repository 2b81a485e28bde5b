"""manage.py create_concert NAME --venue V [--timezone ZONE] --starts-at ISO
[--sale-starts-at ISO] --category "NAME:PRICE:SEATS" [...]: a published concert; prints its id."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from concerts.models import Concert, TicketCategory
from concerts.services import CategorySpec, concert_create
from config.formatting import available_timezones, is_iso_currency

CATEGORY_NAME_MAX = TicketCategory._meta.get_field("name").max_length
CONCERT_NAME_MAX = Concert._meta.get_field("name").max_length
MAX_PRICE = Decimal("99999999.99")  # what DecimalField(max_digits=10, decimal_places=2) holds


def parse_when(value: str, option: str, zone: tzinfo) -> datetime:
    """ISO 8601; a time without an offset is the venue's wall clock (zone)."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"{option}: {value!r} is not an ISO 8601 date-time, e.g. 2026-12-31T20:00:00+00:00"
        ) from None
    if timezone.is_naive(when):
        when = when.replace(tzinfo=zone)
    return when


def parse_category(spec: str, currency: str) -> CategorySpec:
    """ "NAME:PRICE:SEATS"; the name may itself contain colons."""
    parts = spec.rsplit(":", 2)
    if len(parts) != 3 or not parts[0].strip():
        raise CommandError(
            f'--category {spec!r}: expected "NAME:PRICE:SEATS", e.g. "Floor:120:2000"'
        )
    name, price_text, seats_text = (part.strip() for part in parts)
    if len(name) > CATEGORY_NAME_MAX:
        raise CommandError(
            f"--category: the name {name[:20]!r}... is over {CATEGORY_NAME_MAX} characters"
        )
    try:
        price = Decimal(price_text)
    except InvalidOperation:
        raise CommandError(f"--category {spec!r}: price {price_text!r} is not a number") from None
    if not price.is_finite():
        raise CommandError(f"--category {spec!r}: price {price_text!r} is not a number")
    if price < 0:
        raise CommandError(f"--category {spec!r}: the price cannot be negative")
    if price > MAX_PRICE or price != price.quantize(Decimal("0.01")):
        raise CommandError(
            f"--category {spec!r}: the price needs at most 2 decimals and at most {MAX_PRICE}"
        )
    try:
        seats = int(seats_text)
    except ValueError:
        raise CommandError(
            f"--category {spec!r}: seats {seats_text!r} is not a whole number"
        ) from None
    if seats < 1:
        raise CommandError(f"--category {spec!r}: a category needs at least one seat")
    if seats > 2_147_483_647:
        raise CommandError(f"--category {spec!r}: too many seats")
    return CategorySpec(
        name=name, price=price.quantize(Decimal("0.01")), total_seats=seats, currency=currency
    )


class Command(BaseCommand):
    help = "Create a published concert with its ticket categories and print its id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Concert name")
        parser.add_argument("--venue", required=True)
        parser.add_argument(
            "--timezone",
            default="UTC",
            help="The venue's IANA time zone, e.g. Europe/London (default UTC)",
        )
        parser.add_argument(
            "--starts-at",
            required=True,
            help="ISO 8601; without an offset it is the venue's local time (--timezone)",
        )
        parser.add_argument(
            "--sale-starts-at", help="ISO 8601 (default: now); must be before --starts-at"
        )
        parser.add_argument(
            "--category",
            action="append",
            required=True,
            metavar="NAME:PRICE:SEATS",
            help='e.g. "Floor:120:2000"; repeat for each category',
        )
        parser.add_argument("--currency", default="usd", help="ISO 4217 code (default usd)")
        parser.add_argument("--description", default="")

    def handle(self, *args, **options):
        name = options["name"].strip()
        venue = options["venue"].strip()
        if not name:
            raise CommandError("NAME cannot be empty")
        if len(name) > CONCERT_NAME_MAX:
            raise CommandError(f"NAME is over {CONCERT_NAME_MAX} characters")
        if not venue:
            raise CommandError("--venue cannot be empty")
        currency = options["currency"].strip().lower()
        if not (currency.isascii() and is_iso_currency(currency)):
            raise CommandError(
                f"--currency {options['currency']!r}: use a 3-letter code from ISO 4217, e.g. usd, gbp, jpy"
            )
        zone_name = options["timezone"].strip()
        if zone_name not in available_timezones():
            raise CommandError(
                f"--timezone {zone_name!r}: use an IANA zone name, e.g. America/Los_Angeles"
            )
        zone = zoneinfo.ZoneInfo(zone_name)
        starts_at = parse_when(options["starts_at"], "--starts-at", zone)
        if options["sale_starts_at"]:
            sale_starts_at = parse_when(options["sale_starts_at"], "--sale-starts-at", zone)
        elif starts_at > timezone.now():
            sale_starts_at = timezone.now()  # on sale right away
        else:
            raise CommandError("--starts-at is in the past: give --sale-starts-at too")
        if sale_starts_at >= starts_at:
            raise CommandError("--sale-starts-at must be before --starts-at")
        categories = [parse_category(spec, currency) for spec in options["category"]]
        seen: set[str] = set()
        for category in categories:
            key = category.name.casefold()
            if key in seen:
                raise CommandError(f"--category: the name {category.name!r} is used twice")
            seen.add(key)
        try:
            concert = concert_create(
                name=name,
                venue=venue,
                timezone=zone_name,
                description=options["description"],
                starts_at=starts_at,
                sale_starts_at=sale_starts_at,
                categories=categories,
                published=True,
            )
        except ValidationError as invalid:
            if hasattr(invalid, "error_dict"):
                messages = [
                    f"{field}: {message}" if field != "__all__" else message
                    for field, field_messages in invalid.message_dict.items()
                    for message in field_messages
                ]
            else:
                messages = invalid.messages
            raise CommandError("; ".join(messages)) from None
        self.stdout.write(str(concert.pk))
