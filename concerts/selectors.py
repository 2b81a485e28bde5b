"""Reads of the catalog, shared by the API, the pages, the admin and the waiting room.

Lists run in a constant number of queries: one for the concerts (seat totals
annotated), one for all their categories (prefetched). The sale-state helpers take an
injected `now` so callers and tests control the clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    DecimalField,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from concerts.errors import ConcertNotFound, TicketLimitReached
from concerts.models import Concert, TicketCategory

# Under this share of seats left, a concert (or category) shows "Few left".
FEW_LEFT_RATIO = Decimal("0.10")


class SaleState(enum.StrEnum):
    NOT_OPEN = "not_open"  # sale_starts_at still ahead
    ON_SALE = "on_sale"
    FEW_LEFT = "few_left"  # on sale, under FEW_LEFT_RATIO of the seats left
    SOLD_OUT = "sold_out"
    NO_TICKETS = "no_tickets"  # no categories yet: nothing to sell (not "sold out")
    PAST = "past"  # the concert has started

    do_not_call_in_templates = enum.nonmember(True)  # templates compare with SaleState.X

    @property
    def can_book(self) -> bool:
        return self in (SaleState.ON_SALE, SaleState.FEW_LEFT)


def _categories_prefetch() -> Prefetch:
    return Prefetch("categories", queryset=TicketCategory.objects.order_by("display_order", "id"))


def concert_list(
    *,
    published_only: bool = True,
    upcoming_only: bool = False,
    now: datetime | None = None,
    with_categories: bool = True,
) -> QuerySet[Concert]:
    """Concerts soonest first, with seats_total / seats_available and (unless told not to)
    their categories: 2 queries, or 1 without categories."""
    concerts = Concert.objects.all()
    if published_only:
        concerts = concerts.published()
    if upcoming_only:
        concerts = concerts.filter(starts_at__gt=now or timezone.now())
    concerts = concerts.with_seat_totals().order_by("starts_at", "id")
    if with_categories:
        concerts = concerts.prefetch_related(_categories_prefetch())
    return concerts


def concert_get(
    *, concert_id: int, published_only: bool = True, with_categories: bool = True
) -> Concert:
    """One concert as concert_list annotates it: by default a published one, the only kind
    fans may see, queue for or book. Raises ConcertNotFound."""
    concert = (
        concert_list(published_only=published_only, with_categories=with_categories)
        .filter(pk=concert_id)
        .first()
    )
    if concert is None:
        raise ConcertNotFound()
    return concert


def concert_get_by_slug(*, slug: str, published_only: bool = True) -> Concert:
    """One concert by its page slug. Raises ConcertNotFound."""
    concert = concert_list(published_only=published_only).filter(slug=slug).first()
    if concert is None:
        raise ConcertNotFound()
    return concert


def concert_seat_totals(concert: Concert) -> tuple[int, int]:
    """(total, available) seats, from annotations or prefetched categories when present."""
    if hasattr(concert, "seats_total") and hasattr(concert, "seats_available"):
        return int(concert.seats_total), int(concert.seats_available)
    prefetched = getattr(concert, "_prefetched_objects_cache", {}).get("categories")
    if prefetched is not None:
        return (
            sum(c.total_seats for c in prefetched),
            sum(c.available_seats for c in prefetched),
        )
    result = TicketCategory.objects.filter(concert_id=concert.pk).aggregate(
        total=Sum("total_seats", default=0), available=Sum("available_seats", default=0)
    )
    return int(result["total"]), int(result["available"])


def seats_are_few(*, total: int, available: int) -> bool:
    return 0 < available < total * FEW_LEFT_RATIO


def seats_are_sold_out(*, total: int, available: int) -> bool:
    """Sold out: there were seats to sell and none is left. No categories yet (total 0)
    is not sold out: there is nothing to sell out of."""
    return total > 0 and available <= 0


def concert_is_sold_out(concert: Concert) -> bool:
    """No seat left in any of its categories (no query for a concert from concert_get or
    concert_list, one otherwise)."""
    total, available = concert_seat_totals(concert)
    return seats_are_sold_out(total=total, available=available)


@dataclass(frozen=True)
class ConcertStock:
    """A concert's seats as the turnstile needs them, read in one statement (a consistent
    snapshot): free to hold, sold, and the rest (held by pending bookings or offers)."""

    total: int
    free: int
    sold: int

    @property
    def in_flux(self) -> int:
        """Seats neither free nor sold: they may still come back."""
        return self.total - self.free - self.sold

    @property
    def sold_out(self) -> bool:
        """No seat free and none that can come back (but by a refund)."""
        return self.total > 0 and self.free <= 0 and self.in_flux <= 0


def concert_stock(*, concert_id: int) -> ConcertStock:
    row = (
        Concert.objects.filter(pk=concert_id)
        .annotate(
            seats_total=_categories_sum("total_seats"),
            seats_free=_categories_sum("available_seats"),
            seats_sold=_bookings_sum(
                "quantity",
                owner="concert",
                status=_booking_model().Status.CONFIRMED,
                output_field=IntegerField(),
            ),
        )
        .values_list("seats_total", "seats_free", "seats_sold")
        .first()
    )
    if row is None:
        return ConcertStock(total=0, free=0, sold=0)
    return ConcertStock(total=int(row[0]), free=int(row[1]), sold=int(row[2]))


def concert_seat_holders(*, concert_id: int, among: list[int]) -> list[int]:
    """Of the fans `among`, those whose seats for the concert are taken already: a pending
    booking (held) or a confirmed one (sold; their slot ends a moment later)."""
    if not among:
        return []
    status = _booking_model().Status
    return list(
        _booking_model()
        .objects.filter(
            concert_id=concert_id,
            user_id__in=among,
            status__in=[status.PENDING, status.CONFIRMED],
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def fan_tickets_held(
    *, user_id: int, concert_id: int, exclude_booking_id: int | None = None
) -> int:
    """Tickets a fan holds for a concert, pending and confirmed: what MAX_TICKETS_PER_FAN
    counts (the waiting room refuses a fan at the limit, bookings a quantity beyond it)."""
    status = _booking_model().Status
    bookings = _booking_model().objects.filter(
        user_id=user_id, concert_id=concert_id, status__in=[status.PENDING, status.CONFIRMED]
    )
    if exclude_booking_id is not None:
        bookings = bookings.exclude(pk=exclude_booking_id)
    return bookings.aggregate(total=Sum("quantity", default=0))["total"]


def fan_ticket_limit_check(*, held: int, quantity: int) -> None:
    """MAX_TICKETS_PER_FAN, the one rule: a fan holding `held` tickets for a concert may take
    `quantity` more, or TicketLimitReached (with `limit` and `held`). The waiting room asks
    it for one ticket (a place in line must be able to buy something), bookings and the
    waiting list for the quantity asked."""
    limit = settings.MAX_TICKETS_PER_FAN
    if held + quantity > limit:
        raise TicketLimitReached(
            TicketLimitReached.default_message.format(limit=limit), limit=limit, held=held
        )


# --- The sale window -----------------------------------------------------------------------
# The same rules as querysets (concerts_on_sale, concerts_in_waiting_room) sit next to
# them, for lists that filter in the database.


def concert_has_started(concert: Concert, now: datetime | None = None) -> bool:
    """The concert has begun: its sale and its waiting room are over."""
    return concert.starts_at <= (now or timezone.now())


def concert_is_sale_open(concert: Concert, now: datetime | None = None) -> bool:
    """The sale window is open (sale started, concert not yet), whatever the seats left."""
    now = now or timezone.now()
    return concert.sale_starts_at <= now and not concert_has_started(concert, now)


def concerts_on_sale(concerts: QuerySet[Concert], now: datetime) -> QuerySet[Concert]:
    """concert_is_sale_open, in the database."""
    return concerts.filter(sale_starts_at__lte=now, starts_at__gt=now)


def concert_prequeue_opens_at(concert: Concert) -> datetime:
    """When fans may join the waiting room's pre-queue: QUEUE_PREQUEUE_SECONDS before the sale."""
    return concert.sale_starts_at - timedelta(seconds=settings.QUEUE_PREQUEUE_SECONDS)


def concert_prequeue_is_open(concert: Concert, now: datetime | None = None) -> bool:
    """Fans may be in the waiting room: from QUEUE_PREQUEUE_SECONDS before the sale
    until the concert starts (sold out is a separate check: concert_is_sold_out)."""
    now = now or timezone.now()
    return concert_prequeue_opens_at(concert) <= now and not concert_has_started(concert, now)


def concerts_in_waiting_room(concerts: QuerySet[Concert], now: datetime) -> QuerySet[Concert]:
    """concert_prequeue_is_open, in the database."""
    prequeue = timedelta(seconds=settings.QUEUE_PREQUEUE_SECONDS)
    return concerts.filter(sale_starts_at__lte=now + prequeue, starts_at__gt=now)


def concert_sale_state(concert: Concert, now: datetime | None = None) -> SaleState:
    """past > no tickets > sold out > sale not open > few left > on sale.

    Uses the concert's annotated or prefetched seat counts when it has them (lists),
    else reads them (one query). Sold out means it has categories and none has a seat
    available; a concert without categories has no tickets yet.
    """
    now = now or timezone.now()
    if concert_has_started(concert, now):
        return SaleState.PAST
    total, available = concert_seat_totals(concert)
    if total <= 0:
        return SaleState.NO_TICKETS
    if seats_are_sold_out(total=total, available=available):
        return SaleState.SOLD_OUT
    if not concert_is_sale_open(concert, now):
        return SaleState.NOT_OPEN
    if seats_are_few(total=total, available=available):
        return SaleState.FEW_LEFT
    return SaleState.ON_SALE


@dataclass(frozen=True)
class ConcertListing:
    """What a page shows about a concert: state, price range, seats."""

    concert: Concert
    state: SaleState
    min_price: Decimal | None
    max_price: Decimal | None
    currency: str
    seats_total: int
    seats_available: int
    prequeue_opens_at: datetime
    prequeue_open: bool  # sale not open yet, but fans may already join the pre-queue

    @property
    def single_price(self) -> bool:
        return self.min_price == self.max_price

    @property
    def can_join_queue(self) -> bool:
        return self.state.can_book or self.prequeue_open


def concert_listing(concert: Concert, now: datetime | None = None) -> ConcertListing:
    """Page data for a concert from concert_list / concert_get (no extra query)."""
    now = now or timezone.now()
    categories = list(concert.categories.all())
    prices = [c.price for c in categories]
    total, available = concert_seat_totals(concert)
    state = concert_sale_state(concert, now)
    prequeue_opens_at = concert_prequeue_opens_at(concert)
    return ConcertListing(
        concert=concert,
        state=state,
        min_price=min(prices) if prices else None,
        max_price=max(prices) if prices else None,
        currency=categories[0].currency if categories else "usd",
        seats_total=total,
        seats_available=available,
        prequeue_opens_at=prequeue_opens_at,
        prequeue_open=state == SaleState.NOT_OPEN and concert_prequeue_is_open(concert, now),
    )


def concert_listings_upcoming(*, now: datetime | None = None) -> list[ConcertListing]:
    """The home page: published concerts that have not started, soonest first (2 queries)."""
    now = now or timezone.now()
    return [concert_listing(concert, now) for concert in concert_list(upcoming_only=True, now=now)]


# --- Staff figures (admin) ---------------------------------------------------------------
# Booking rows are reached through the reverse relation `bookings` (bookings.Booking has
# related_name="bookings" on its concert and category FKs), so this app imports nothing
# from bookings. Each figure is its own subquery: joining categories and bookings in one
# GROUP BY would multiply the sums.


def _booking_model():
    return Concert._meta.get_field("bookings").related_model


def _bookings_sum(field: str, *, owner: str, status: str, output_field) -> Coalesce:
    rows = (
        _booking_model()
        .objects.filter(**{owner: OuterRef("pk")}, status=status)
        .order_by()
        .values(owner)
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=output_field), Value(0), output_field=output_field)


def _categories_sum(field: str) -> Coalesce:
    """A concert's categories' sum of `field`, as a subquery (0 with no categories)."""
    rows = (
        TicketCategory.objects.filter(concert=OuterRef("pk"))
        .order_by()
        .values("concert")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def concerts_with_sales_figures(concerts: QuerySet[Concert]) -> QuerySet[Concert]:
    """Annotate seats_sold (confirmed), seats_held (pending), seats_free, seats_capacity,
    revenue (confirmed total_amount) and revenue_currency."""
    money = DecimalField(max_digits=14, decimal_places=2)
    status = _booking_model().Status
    categories = TicketCategory.objects.filter(concert=OuterRef("pk")).order_by()
    return concerts.annotate(
        seats_sold=_bookings_sum(
            "quantity", owner="concert", status=status.CONFIRMED, output_field=IntegerField()
        ),
        seats_held=_bookings_sum(
            "quantity", owner="concert", status=status.PENDING, output_field=IntegerField()
        ),
        revenue=_bookings_sum(
            "total_amount", owner="concert", status=status.CONFIRMED, output_field=money
        ),
        revenue_currency=Subquery(
            categories.order_by("display_order", "id").values("currency")[:1]
        ),
        seats_free=_categories_sum("available_seats"),
        seats_capacity=_categories_sum("total_seats"),
    )


def categories_with_sales_figures(
    categories: QuerySet[TicketCategory],
) -> QuerySet[TicketCategory]:
    """Annotate seats_sold (confirmed) and seats_held (pending) per category."""
    status = _booking_model().Status
    return categories.annotate(
        seats_sold=_bookings_sum(
            "quantity", owner="category", status=status.CONFIRMED, output_field=IntegerField()
        ),
        seats_held=_bookings_sum(
            "quantity", owner="category", status=status.PENDING, output_field=IntegerField()
        ),
    )


def concerts_filter_when(concerts: QuerySet[Concert], when: str, now: datetime) -> QuerySet:
    """Admin filter: upcoming (not started), on_sale (sale window open), past (started)."""
    if when == "upcoming":
        return concerts.filter(starts_at__gt=now)
    if when == "on_sale":
        return concerts_on_sale(concerts, now)
    if when == "past":
        return concerts.filter(starts_at__lte=now)
    return concerts
