"""Writes of the catalog: creating concerts and categories, publishing, resizing categories.

Seat counters are never written from a value read earlier: a category's total is
resized by one conditional UPDATE that moves available_seats by the same delta.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils.text import slugify

from concerts.errors import CategoryShrinkRefused
from concerts.models import Concert, TicketCategory

SLUG_MAX_LENGTH = 220
SHRINK_REFUSED_MESSAGE = (
    "{committed} seats are already sold or held: the total cannot go below {committed}."
)
CHANGED_MEANWHILE_MESSAGE = (
    "{name}: seats were sold or the total was changed while you were editing. "
    "Reload the page and try again."
)
NO_CATEGORIES_MESSAGE = "{name} has no ticket categories: add at least one before publishing."


@dataclass(frozen=True)
class CategorySpec:
    name: str
    price: Decimal
    total_seats: int
    currency: str = "usd"
    display_order: int = 0


def concert_unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    """slugify(name), with -2, -3 ... appended while another concert has it."""
    base = slugify(name)[: SLUG_MAX_LENGTH - 8].strip("-") or "concert"
    taken = Concert.objects.filter(slug__startswith=base)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    existing = set(taken.values_list("slug", flat=True))
    slug, suffix = base, 2
    while slug in existing:
        slug = f"{base}-{suffix}"
        suffix += 1
    return slug


def category_create(
    *,
    concert: Concert,
    name: str,
    price: Decimal,
    total_seats: int,
    currency: str = "usd",
    display_order: int = 0,
) -> TicketCategory:
    """A new category starts with every seat available. Raises ValidationError."""
    category = TicketCategory(
        concert=concert,
        name=name,
        price=price,
        currency=currency.lower(),
        total_seats=total_seats,
        available_seats=total_seats,
        display_order=display_order,
    )
    category.full_clean()
    category.save()
    return category


@transaction.atomic
def concert_create(
    *,
    name: str,
    venue: str,
    starts_at: datetime,
    sale_starts_at: datetime,
    categories: Sequence[CategorySpec],
    description: str = "",
    published: bool = True,
    slug: str | None = None,
    timezone: str = "UTC",
) -> Concert:
    """A concert with its categories, under a unique slug; timezone is the venue's (IANA).
    Raises ValidationError (sale after start, unknown zone, bad category) with nothing written."""
    concert = Concert(
        name=name,
        venue=venue,
        timezone=timezone,
        description=description,
        starts_at=starts_at,
        sale_starts_at=sale_starts_at,
        published=published,
        slug=slug or concert_unique_slug(name),
    )
    concert.full_clean()
    for attempt in range(5):
        try:
            with transaction.atomic():
                concert.save()
            break
        except IntegrityError:
            # Another writer took the same slug between our check and our insert.
            if slug or attempt == 4:
                raise
            concert.slug = concert_unique_slug(name)
    for order, spec in enumerate(categories):
        category_create(
            concert=concert,
            name=spec.name,
            price=spec.price,
            total_seats=spec.total_seats,
            currency=spec.currency,
            display_order=spec.display_order or order,
        )
    return concert


def category_update(
    *,
    category_id: int,
    expected_total_seats: int,
    name: str,
    price: Decimal,
    currency: str,
    display_order: int,
    total_seats: int,
) -> None:
    """Edit a category; a new total moves available_seats by the same delta.

    One conditional UPDATE: it applies only if the total is still the one the editor
    saw and enough seats are free to give up, so a booking made meanwhile is never
    overwritten. Raises CategoryShrinkRefused otherwise (nothing changed).
    """
    delta = total_seats - expected_total_seats
    updated = TicketCategory.objects.filter(
        pk=category_id,
        total_seats=expected_total_seats,
        available_seats__gte=max(0, -delta),
    ).update(
        name=name,
        price=price,
        currency=currency.lower(),
        display_order=display_order,
        total_seats=total_seats,
        available_seats=F("available_seats") + delta,
    )
    if updated == 0:
        raise CategoryShrinkRefused(CHANGED_MEANWHILE_MESSAGE.format(name=name))


def category_check_total_seats(*, category_id: int, total_seats: int) -> tuple[int, int]:
    """Refuse a total below the seats sold or held now; return (total, available) as read.

    A friendly early check for forms; category_update re-checks in its UPDATE.
    """
    category = TicketCategory.objects.only("name", "total_seats", "available_seats").get(
        pk=category_id
    )
    committed = category.seats_committed
    if total_seats < committed:
        raise CategoryShrinkRefused(SHRINK_REFUSED_MESSAGE.format(committed=committed))
    return category.total_seats, category.available_seats


@transaction.atomic
def concerts_publish(*, concerts: QuerySet[Concert] | Iterable[Concert]) -> tuple[int, list[str]]:
    """Publish the concerts that have categories; return (count, refusal messages)."""
    pks = [concert.pk for concert in concerts]
    candidates = Concert.objects.filter(pk__in=pks)
    refused = [
        NO_CATEGORIES_MESSAGE.format(name=concert.name)
        for concert in candidates.filter(categories__isnull=True)
    ]
    with_categories = candidates.filter(published=False, categories__isnull=False).values("pk")
    count = Concert.objects.filter(pk__in=with_categories).update(published=True)
    return count, refused


@transaction.atomic
def concerts_unpublish(*, concerts: QuerySet[Concert] | Iterable[Concert]) -> int:
    """Hide concerts from the catalog; bookings already made stay valid."""
    pks = [concert.pk for concert in concerts]
    return Concert.objects.filter(pk__in=pks, published=True).update(published=False)
