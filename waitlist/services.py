"""The sold-out waiting list: joining, leaving, offers made in list order, taking an offer.

Seat invariant (bookings.services): an open offer reserves its seats with seats_take, so
    available + pending + confirmed + open offers == total
Offers for a category are made under that category's row lock (SELECT ... FOR UPDATE), so
two workers making offers at once run one after the other: no seat is offered twice and
the list order holds. An offer's status changes only by conditional transitions
(open -> taken | lapsed | withdrawn): taking it racing the lapse sweep, one wins.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings import errors as booking_errors
from bookings import selectors as booking_selectors
from bookings import services as booking_services
from bookings.models import Booking
from concerts import selectors as concert_selectors
from concerts.errors import CategoryNotFound
from concerts.models import TicketCategory
from outbox.services import outbox_enqueue
from queueing import services as queue_services
from waitlist import errors
from waitlist.models import WaitlistEntry, WaitlistOffer

logger = logging.getLogger(__name__)

SEATS_RETURNED = booking_services.SEATS_RETURNED
# Outbox kinds of the emails this app sends (handlers registered in WaitlistConfig.ready).
OFFER_EMAIL = "waitlist.offer_email"
LAPSED_EMAIL = "waitlist.lapsed_email"


# --- joining and leaving ---------------------------------------------------------------


def waitlist_join(
    *, user, category_id: int, quantity: int, concert_id: int | None = None
) -> WaitlistEntry:
    """Put the fan on a category's waiting list for `quantity` seats.

    Rules: 1..MAX_TICKETS_PER_BOOKING (InvalidQuantity); a category of a published concert
    (CategoryNotFound; also when it is not of `concert_id`, if given); the category has no seat free to hold (SeatsAvailable: the waiting
    room sells them); the fan's held tickets plus `quantity` stay within MAX_TICKETS_PER_FAN
    (TicketLimitReached); one live entry per fan and category (WaitlistEntryExists, the
    partial unique index decides between racing joins).
    """
    limit = settings.MAX_TICKETS_PER_BOOKING
    if not isinstance(quantity, int) or not 1 <= quantity <= limit:
        raise booking_errors.InvalidQuantity(
            booking_errors.InvalidQuantity.default_message.format(limit=limit)
        )
    category = (
        TicketCategory.objects.select_related("concert")
        .filter(pk=category_id, concert__published=True)
        .first()
    )
    if category is None or concert_id not in (None, category.concert_id):
        raise CategoryNotFound()
    if category.available_seats > 0:
        raise errors.SeatsAvailable()
    concert_selectors.fan_ticket_limit_check(
        held=booking_selectors.fan_tickets_held(user_id=user.pk, concert_id=category.concert_id),
        quantity=quantity,
    )
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(
                user_id=user.pk,
                concert_id=category.concert_id,
                category=category,
                quantity=quantity,
            )
    except IntegrityError as exc:
        raise errors.WaitlistEntryExists() from exc
    entry.category = category
    entry.concert = category.concert
    return entry


def waitlist_leave(*, entry_id: int, user=None, now: datetime | None = None) -> WaitlistEntry:
    """Take a live entry off the list (the fan, or staff with user=None). An open offer is
    withdrawn and its seats go to the next fan. Leaving twice is a no-op; an entry that is
    not the fan's is WaitlistEntryNotFound."""
    now = now or timezone.now()
    with transaction.atomic():
        entries = WaitlistEntry.objects.select_for_update().filter(pk=entry_id)
        if user is not None:
            entries = entries.filter(user_id=user.pk)
        entry = entries.first()
        if entry is None:
            raise errors.WaitlistEntryNotFound()
        if entry.status not in WaitlistEntry.LIVE_STATUSES:
            return entry
        if entry.status == WaitlistEntry.Status.OFFERED:
            _offer_end(entry_id=entry.pk, status=WaitlistOffer.Status.WITHDRAWN, now=now)
        WaitlistEntry.objects.filter(pk=entry.pk).update(
            status=WaitlistEntry.Status.LEFT, ended_at=now
        )
    entry.status = WaitlistEntry.Status.LEFT
    entry.ended_at = now
    return entry


# --- offers ----------------------------------------------------------------------------


def waitlist_offers_make(*, category_id: int, now: datetime | None = None) -> list[WaitlistOffer]:
    """Offer a category's free seats to its waiting entries in list order: the first entry
    gets min(wanted, free, what the fan may still buy) seats, reserved with seats_take for WAITLIST_OFFER_SECONDS, and
    an email (outbox); repeat while seats are free and entries wait. Safe to run twice at
    once: the category's row lock serialises the runs. Returns the offers made.

    While fans wait in the concert's line, seats that come back are theirs, in line order
    (the turnstile admits them as seats allow): offers wait until the line is empty or
    closed as sold out. The beat sweep then makes them."""
    now = now or timezone.now()
    made: list[WaitlistOffer] = []
    concert_id = (
        TicketCategory.objects.filter(pk=category_id).values_list("concert_id", flat=True).first()
    )
    if concert_id is None or queue_services.queue_has_waiting(concert_id=concert_id):
        return made
    with transaction.atomic():
        category = TicketCategory.objects.select_for_update().filter(pk=category_id).first()
        if category is None:
            return made
        free = category.available_seats
        waiting = WaitlistEntry.objects.filter(
            category_id=category_id, status=WaitlistEntry.Status.WAITING
        ).order_by("pk")
        for entry in waiting.iterator():
            if free <= 0:
                break
            # A fan who bought tickets since joining is offered only what they may still buy;
            # one who may buy none leaves the list rather than block the seats for nothing.
            allowance = settings.MAX_TICKETS_PER_FAN - booking_selectors.fan_tickets_held(
                user_id=entry.user_id, concert_id=entry.concert_id
            )
            if allowance < 1:
                WaitlistEntry.objects.filter(
                    pk=entry.pk, status=WaitlistEntry.Status.WAITING
                ).update(status=WaitlistEntry.Status.LEFT, ended_at=now)
                continue
            quantity = min(entry.quantity, free, allowance)
            if not WaitlistEntry.objects.filter(
                pk=entry.pk, status=WaitlistEntry.Status.WAITING
            ).update(status=WaitlistEntry.Status.OFFERED):
                continue  # left the list a moment ago
            if not booking_services.seats_take(category_id=category_id, quantity=quantity):
                raise RuntimeError(f"seats of category {category_id} changed under its lock")
            offer = WaitlistOffer.objects.create(
                entry=entry,
                category_id=category_id,
                quantity=quantity,
                expires_at=now + timedelta(seconds=settings.WAITLIST_OFFER_SECONDS),
            )
            outbox_enqueue(kind=OFFER_EMAIL, payload={"offer_id": offer.pk})
            made.append(offer)
            free -= quantity
    return made


def waitlist_offers_make_all(*, now: datetime | None = None) -> int:
    """Make offers in every category that has free seats and waiting entries."""
    category_ids = (
        WaitlistEntry.objects.filter(
            status=WaitlistEntry.Status.WAITING, category__available_seats__gt=0
        )
        .values_list("category_id", flat=True)
        .distinct()
    )
    return sum(
        len(waitlist_offers_make(category_id=pk, now=now)) for pk in sorted(set(category_ids))
    )


def _offer_end(*, entry_id: int, status: str, now: datetime) -> WaitlistOffer | None:
    """open -> lapsed | withdrawn in one conditional UPDATE; the winner releases the seats
    (and through bookings' seats_returned event they go to the next entry)."""
    offer = WaitlistOffer.objects.filter(entry_id=entry_id).first()
    if offer is None:
        return None
    changed = WaitlistOffer.objects.filter(pk=offer.pk, status=WaitlistOffer.Status.OPEN)
    if status == WaitlistOffer.Status.LAPSED:
        changed = changed.filter(expires_at__lte=now)
    if not changed.update(status=status, ended_at=now):
        return None
    booking_services.seats_release(category_id=offer.category_id, quantity=offer.quantity)
    return offer


def waitlist_offer_lapse(*, offer_id: int, now: datetime | None = None) -> bool:
    """Lapse one overdue open offer: its seats go back (and on to the next entry), its entry
    is done (lapsed) and the fan is told. False if it was taken, withdrawn or not due."""
    now = now or timezone.now()
    with transaction.atomic():
        entry_id = (
            WaitlistOffer.objects.filter(pk=offer_id).values_list("entry_id", flat=True).first()
        )
        if entry_id is None:
            return False
        offer = _offer_end(entry_id=entry_id, status=WaitlistOffer.Status.LAPSED, now=now)
        if offer is None:
            return False
        WaitlistEntry.objects.filter(pk=entry_id, status=WaitlistEntry.Status.OFFERED).update(
            status=WaitlistEntry.Status.LAPSED, ended_at=now
        )
        outbox_enqueue(kind=LAPSED_EMAIL, payload={"offer_id": offer_id})
    return True


def waitlist_offers_lapse_overdue(*, now: datetime | None = None) -> int:
    """Lapse every overdue open offer, each in its own transaction; returns how many."""
    now = now or timezone.now()
    due = WaitlistOffer.objects.filter(
        status=WaitlistOffer.Status.OPEN, expires_at__lte=now
    ).order_by("pk")
    return sum(
        waitlist_offer_lapse(offer_id=pk, now=now) for pk in due.values_list("pk", flat=True)
    )


def waitlist_sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """The beat task's work: lapse overdue offers, then offer free seats to waiting fans.
    Returns (lapsed, offered)."""
    lapsed = waitlist_offers_lapse_overdue(now=now)
    return lapsed, waitlist_offers_make_all(now=now)


def waitlist_on_seats_returned(payload: dict) -> None:
    """Outbox handler of bookings.seats_returned: offer the returned seats at once, before
    the waiting room's next admission tick."""
    category_id = payload.get("category_id")
    if category_id is None:
        return
    if WaitlistEntry.objects.filter(
        category_id=category_id, status=WaitlistEntry.Status.WAITING
    ).exists():
        waitlist_offers_make(category_id=int(category_id))


# --- taking an offer -------------------------------------------------------------------


def waitlist_offer_accept(*, user, offer_id: int, now: datetime | None = None) -> Booking:
    """Take an open, unexpired offer: open -> taken and a pending booking on its reserved
    seats, in one transaction (the offer is the admission: no queue slot). The booking rules
    still hold (TicketLimitReached, PendingBookingExists); a refusal leaves the offer open.
    WaitlistOfferNotFound for another fan's offer; OfferNotOpen once taken, lapsed, withdrawn
    or past its time. Taking it again returns the same booking."""
    now = now or timezone.now()
    with transaction.atomic():
        offer = (
            WaitlistOffer.objects.select_for_update()
            .filter(pk=offer_id, entry__user_id=user.pk)
            .first()
        )
        if offer is None:
            raise errors.WaitlistOfferNotFound()
        if offer.status == WaitlistOffer.Status.TAKEN and offer.booking_id:
            return Booking.objects.select_related("concert", "category").get(pk=offer.booking_id)
        if not WaitlistOffer.objects.filter(
            pk=offer.pk, status=WaitlistOffer.Status.OPEN, expires_at__gt=now
        ).update(status=WaitlistOffer.Status.TAKEN, ended_at=now):
            raise errors.OfferNotOpen()
        booking = booking_services.booking_create(
            user=user, category_id=offer.category_id, quantity=offer.quantity, seats_reserved=True
        )
        WaitlistOffer.objects.filter(pk=offer.pk).update(booking=booking)
        WaitlistEntry.objects.filter(pk=offer.entry_id).update(
            status=WaitlistEntry.Status.DONE, ended_at=now
        )
    return booking


# --- emails ----------------------------------------------------------------------------


def waitlist_email_deliver_offer(payload: dict) -> None:
    """The outbox handler of OFFER_EMAIL."""
    from waitlist import emails, selectors

    offer = selectors.waitlist_offer_for_email(offer_id=int(payload["offer_id"]))
    if offer is not None:
        emails.waitlist_offer_email(offer).send()


def waitlist_email_deliver_lapsed(payload: dict) -> None:
    """The outbox handler of LAPSED_EMAIL."""
    from waitlist import emails, selectors

    offer = selectors.waitlist_offer_for_email(offer_id=int(payload["offer_id"]))
    if offer is not None:
        emails.waitlist_lapsed_email(offer).send()
