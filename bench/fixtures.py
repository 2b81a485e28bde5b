"""The bench's data, made in bulk so that the sale is measured, not sign-up.

Runs in the bench's own process after `django.setup()` with the stack's environment:
fans are inserted with one pre-computed password hash and get a JWT access token minted
locally (simplejwt), concerts and categories are plain rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

BULK = 2_000


@dataclass(frozen=True)
class Fan:
    user_id: int
    token: str


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    total_seats: int


def create_fans(prefix: str, count: int) -> list[Fan]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import AccessToken

    user_model = get_user_model()
    password = make_password("bench-password-not-used")  # hashed once for all fans
    fans: list[Fan] = []
    for start in range(0, count, BULK):
        users = [
            user_model(email=f"{prefix}{n}@bench.invalid", password=password)
            for n in range(start, min(start + BULK, count))
        ]
        created = user_model.objects.bulk_create(users)
        fans.extend(Fan(user.pk, str(AccessToken.for_user(user))) for user in created)
    return fans


def create_concert(
    *, name: str, sale_starts_at: datetime, categories: list[tuple[str, str, int]]
) -> tuple[int, list[Category]]:
    """A published concert a month away; categories are (name, price, seats)."""
    from django.utils.text import slugify

    from concerts.models import Concert, TicketCategory

    concert = Concert.objects.create(
        name=name,
        slug=slugify(name),
        venue="Bench Arena",
        starts_at=sale_starts_at + timedelta(days=30),
        sale_starts_at=sale_starts_at,
        published=True,
    )
    rows = [
        TicketCategory.objects.create(
            concert=concert,
            name=cat_name,
            price=Decimal(price),
            currency="eur",
            total_seats=seats,
            available_seats=seats,
            display_order=order,
        )
        for order, (cat_name, price, seats) in enumerate(categories)
    ]
    return concert.pk, [Category(row.pk, row.name, row.total_seats) for row in rows]


def set_sale_start(concert_id: int, sale_starts_at: datetime) -> None:
    from concerts.models import Concert

    Concert.objects.filter(pk=concert_id).update(sale_starts_at=sale_starts_at)


def admit_directly(concert_id: int, user_ids: list[int], *, until_ms: int) -> None:
    """Give fans an active slot without queueing (for the hold and purchase routes)."""
    from config.redis import get_queue_redis
    from queueing import redis_queue

    keys = redis_queue.concert_keys(concert_id)
    client = get_queue_redis()
    for start in range(0, len(user_ids), BULK):
        client.zadd(keys.active, {uid: until_ms for uid in user_ids[start : start + BULK]})


def fill_waiting(concert_id: int, *, ahead: int, first_fake_id: int = 10**9) -> None:
    """Put `ahead` fake fans in front of the line (scores below every real join)."""
    from config.redis import get_queue_redis
    from queueing import redis_queue

    keys = redis_queue.concert_keys(concert_id)
    client = get_queue_redis()
    chunk = 20_000
    for start in range(0, ahead, chunk):
        pipe = client.pipeline(transaction=False)
        members = {
            first_fake_id + n: -(ahead + 1) + n for n in range(start, min(start + chunk, ahead))
        }
        pipe.zadd(keys.waiting, members)
        pipe.execute()


@dataclass(frozen=True)
class SeatCounts:
    available: int
    held: int  # pending bookings
    sold: int  # confirmed bookings
    tickets: int
    total: int


def seat_counts(concert_id: int) -> SeatCounts:
    from django.db.models import Sum

    from bookings.models import Booking, Ticket
    from concerts.models import TicketCategory

    categories = TicketCategory.objects.filter(concert_id=concert_id).aggregate(
        available=Sum("available_seats"), total=Sum("total_seats")
    )
    by_status = dict(
        Booking.objects.filter(concert_id=concert_id)
        .values_list("status")
        .annotate(seats=Sum("quantity"))
        .values_list("status", "seats")
    )
    return SeatCounts(
        available=categories["available"] or 0,
        held=by_status.get("pending", 0) or 0,
        sold=by_status.get("confirmed", 0) or 0,
        tickets=Ticket.objects.filter(booking__concert_id=concert_id).count(),
        total=categories["total"] or 0,
    )


def per_category_check(concert_id: int) -> list[dict]:
    """Per category: seats sold + held + available must equal the total; sold <= total."""
    from django.db.models import Q, Sum

    from concerts.models import TicketCategory

    rows = TicketCategory.objects.filter(concert_id=concert_id).annotate(
        sold=Sum("bookings__quantity", filter=Q(bookings__status="confirmed")),
        held=Sum("bookings__quantity", filter=Q(bookings__status="pending")),
    )
    return [
        {
            "category": row.name,
            "total": row.total_seats,
            "sold": row.sold or 0,
            "held": row.held or 0,
            "available": row.available_seats,
            "oversold": max(0, (row.sold or 0) + (row.held or 0) - row.total_seats),
            "unaccounted": row.total_seats
            - (row.sold or 0)
            - (row.held or 0)
            - row.available_seats,
        }
        for row in rows
    ]


def admission_fairness(concert_id: int) -> dict:
    """Share of consecutive admissions (after the draw) that respect the server's order.

    QueueEntry keeps each fan's join sequence (the pre-queue's drawn place is negative) and
    when they were admitted; fans admitted in one tick share a time and count as in order.
    """
    from queueing.models import QueueEntry

    admitted = list(
        QueueEntry.objects.filter(concert_id=concert_id, admitted_at__isnull=False)
        .exclude(sequence__isnull=True)
        .order_by("admitted_at", "sequence")
        .values_list("sequence", flat=True)
    )
    pairs = len(admitted) - 1
    in_order = sum(1 for a, b in zip(admitted, admitted[1:], strict=False) if a < b)
    return {
        "admitted": len(admitted),
        "pairs": max(pairs, 0),
        "pairs_in_order": in_order,
        "fairness": round(in_order / pairs, 4) if pairs > 0 else None,
    }
