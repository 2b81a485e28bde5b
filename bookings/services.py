"""Booking lifecycle: holds, cancel, expiry, check-in, and the locked transitions that the
checkout app (where a payment meets seats: confirm, late payment, refunds) drives.

Invariants every function here keeps, for each ticket category:
    available_seats + seats of pending bookings + seats of confirmed bookings
        + seats of open waiting-list offers == total_seats
  (an open offer, waitlist.WaitlistOffer, reserves its seats with seats_take; taking it turns
  them into a pending booking made with seats_reserved=True, lapsing it releases them)
- Seats change only by one conditional UPDATE (`available_seats >= n`), never read-then-write.
- A booking's status changes only by a conditional transition (or under its row lock), and
  whoever makes the transition is the only one to move its seats, so a confirmation racing
  the expiry sweep or a cancel wins or loses cleanly and seats are never released twice.
- This module knows nothing of payments: checkout.services decides, under the row lock,
  what a payment means for a booking and calls the transitions below.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from bookings import errors, selectors
from bookings.models import Booking, Ticket, ticket_code_candidates
from bookings.presenters import iso_datetime, ticket_summary
from concerts import selectors as concert_selectors
from concerts.errors import CategoryNotFound
from concerts.models import TicketCategory
from outbox.services import outbox_enqueue
from queueing import services as queue_services

logger = logging.getLogger(__name__)

EXPIRY_BATCH_SIZE = 200

# Outbox kinds of the emails this app sends (handlers registered in BookingsConfig.ready).
CONFIRMATION_EMAIL = "bookings.confirmation_email"
REFUND_EMAIL = "bookings.refund_email"
# Emitted whenever seats return to sale; the waiting list (its own app) registers the
# handler that offers them to waiting fans. Payload: {concert_id, category_id}.
SEATS_RETURNED = "bookings.seats_returned"


# --- seats -----------------------------------------------------------------------------


def seats_take(*, category_id: int, quantity: int) -> bool:
    """Take `quantity` seats in one conditional UPDATE; False when not enough are left."""
    return bool(
        TicketCategory.objects.filter(pk=category_id, available_seats__gte=quantity).update(
            available_seats=F("available_seats") - quantity
        )
    )


def seats_release(*, category_id: int, quantity: int) -> None:
    # Only the winner of a booking's status transition calls this, once per booking;
    # the category's CHECK (available <= total) would refuse a double release anyway.
    TicketCategory.objects.filter(pk=category_id).update(
        available_seats=F("available_seats") + quantity
    )
    # In the releasing transaction: returned seats reach the waiting list promptly.
    category = TicketCategory.objects.filter(pk=category_id).values("concert_id").first()
    concert_id = category["concert_id"] if category else None
    outbox_enqueue(
        kind=SEATS_RETURNED, payload={"concert_id": concert_id, "category_id": category_id}
    )


# --- create ----------------------------------------------------------------------------


def booking_create(
    *, user, category_id: int, quantity: int, seats_reserved: bool = False
) -> Booking:
    """Hold `quantity` seats of a category for BOOKING_HOLD_SECONDS, as a pending booking.

    Rules: the category belongs to a published concert (CategoryNotFound); the fan holds
    an active queue slot for the concert (QueueSlotRequired); the quantity is within 1..MAX_TICKETS_PER_BOOKING (InvalidQuantity); the fan's pending
    and confirmed tickets for the concert stay within MAX_TICKETS_PER_FAN
    (TicketLimitReached); the fan has no other pending booking (PendingBookingExists,
    enforced by the partial unique index, so two racing requests cannot both win);
    enough seats are left (InsufficientSeats). The insert and the seat UPDATE share one
    transaction: a refusal leaves nothing behind.

    seats_reserved=True: the caller already took these seats with seats_take (a waiting-list
    offer being accepted, which is the fan's admission): no queue slot is checked and no
    seats are taken again; every other rule holds.
    """
    limit = settings.MAX_TICKETS_PER_BOOKING
    if not isinstance(quantity, int) or not 1 <= quantity <= limit:
        raise errors.InvalidQuantity(errors.InvalidQuantity.default_message.format(limit=limit))
    category = (
        TicketCategory.objects.select_related("concert")
        .filter(pk=category_id, concert__published=True)
        .first()
    )
    if category is None:
        raise CategoryNotFound()
    if not seats_reserved and not queue_services.queue_slot_is_active(
        user_id=user.pk, concert_id=category.concert_id
    ):
        raise errors.QueueSlotRequired()

    now = timezone.now()
    # One read of the fan's standing bookings answers three rules: overdue holds to expire,
    # a live pending booking, and the tickets held for this concert.
    standing = list(
        Booking.objects.filter(user_id=user.pk, status__in=selectors.HELD_STATUSES).values_list(
            "pk", "status", "expires_at", "concert_id", "quantity"
        )
    )
    held = 0
    reread = False
    for booking_id, status, expires_at, concert_id, held_quantity in standing:
        if status == Booking.Status.PENDING and expires_at <= now:
            # A hold past its time that the sweep has not reached yet must not block a new
            # one. If another transition got there first (the sweep, or a late payment
            # confirming it), what this booking now counts for is read again below.
            reread = reread or not booking_expire(booking_id=booking_id, now=now)
        elif status == Booking.Status.PENDING:
            raise errors.PendingBookingExists()
        elif concert_id == category.concert_id:
            held += held_quantity
    if reread:
        if Booking.objects.filter(user_id=user.pk, status=Booking.Status.PENDING).exists():
            raise errors.PendingBookingExists()
        held = selectors.fan_tickets_held(user_id=user.pk, concert_id=category.concert_id)
    concert_selectors.fan_ticket_limit_check(held=held, quantity=quantity)
    # Two requests of the same fan racing past the reads above meet at the partial unique
    # index booking_one_pending_per_user: the second insert waits for the first to commit,
    # then fails, and its transaction (nothing else in it) rolls back.
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                user_id=user.pk,
                concert_id=category.concert_id,
                category=category,
                quantity=quantity,
                unit_price=category.price,
                total_amount=category.price * quantity,
                currency=category.currency.lower(),
                status=Booking.Status.PENDING,
                expires_at=now + timedelta(seconds=settings.BOOKING_HOLD_SECONDS),
            )
            if not seats_reserved and not seats_take(category_id=category.pk, quantity=quantity):
                raise errors.InsufficientSeats()  # rolls back the insert too
    except IntegrityError as exc:
        if Booking.objects.filter(user_id=user.pk, status=Booking.Status.PENDING).exists():
            raise errors.PendingBookingExists() from exc
        raise
    booking.category = category
    booking.concert = category.concert
    return booking


# --- cancel and expire -----------------------------------------------------------------


def booking_cancel(*, user) -> Booking:
    """Cancel the fan's pending booking and give its seats back (BookingNotFound if none)."""
    booking = Booking.objects.filter(user_id=user.pk, status=Booking.Status.PENDING).first()
    if booking is None:
        raise errors.BookingNotFound("You have no booking waiting for payment.")
    now = timezone.now()
    with transaction.atomic():
        won = Booking.objects.filter(pk=booking.pk, status=Booking.Status.PENDING).update(
            status=Booking.Status.CANCELLED, cancelled_at=now
        )
        if not won:
            # Confirmed, expired or cancelled a moment ago by someone else.
            raise errors.BookingNotFound("You have no booking waiting for payment.")
        seats_release(category_id=booking.category_id, quantity=booking.quantity)
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = now
    return booking


def booking_expire(*, booking_id: int, now: datetime | None = None) -> bool:
    """Expire one overdue pending booking and release its seats; False if it was not due
    or another transition (a confirmation, a cancel, another sweep) got there first."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.filter(pk=booking_id).values("category_id", "quantity").first()
        if booking is None:
            return False
        won = Booking.objects.filter(
            pk=booking_id, status=Booking.Status.PENDING, expires_at__lte=now
        ).update(status=Booking.Status.EXPIRED, expired_at=now)
        if won:
            seats_release(category_id=booking["category_id"], quantity=booking["quantity"])
    return bool(won)


def booking_expire_overdue(
    *, now: datetime | None = None, batch_size: int = EXPIRY_BATCH_SIZE
) -> int:
    """The sweep: expire every overdue pending booking, in id-ordered batches, each booking
    in its own short transaction. Returns how many this run expired."""
    now = now or timezone.now()
    expired = 0
    last_id = 0
    while True:
        ids = list(
            Booking.objects.filter(
                status=Booking.Status.PENDING, expires_at__lte=now, pk__gt=last_id
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return expired
        for booking_id in ids:
            expired += booking_expire(booking_id=booking_id, now=now)
        last_id = ids[-1]


# --- transitions the checkout app drives (the caller holds the booking's row lock) -------


def booking_mark_confirmed(*, booking: Booking, from_status: str, now: datetime) -> None:
    """Move a locked booking from `from_status` to confirmed and issue its tickets; after
    commit its queue slot goes to the next fan and the tickets are emailed. The caller
    (checkout) holds the row lock, has verified the payment and, for an expired booking,
    has taken the seats again."""
    won = Booking.objects.filter(pk=booking.pk, status=from_status).update(
        status=Booking.Status.CONFIRMED, confirmed_at=now
    )
    if not won:  # cannot happen under the row lock; refuse loudly rather than oversell
        raise RuntimeError(f"booking {booking.pk} changed status under its lock")
    booking.status = Booking.Status.CONFIRMED
    booking.confirmed_at = now
    Ticket.objects.bulk_create([Ticket(booking=booking) for _ in range(booking.quantity)])
    _after_confirm(booking=booking)


def _after_confirm(*, booking: Booking) -> None:
    # Both go through the outbox, in the confirming transaction: a Redis or broker outage
    # delays them, never drops them. The fan is done: their queue slot goes to the next fan.
    queue_services.queue_slot_release_schedule(
        user_id=booking.user_id, concert_id=booking.concert_id
    )
    outbox_enqueue(kind=CONFIRMATION_EMAIL, payload={"booking_id": booking.pk})


def booking_mark_cancelled_refunded(*, booking: Booking, reason: str, now: datetime) -> None:
    """Cancel a locked, confirmed booking whose payment was already given back: its tickets
    are voided, its seats return to sale and the fan is emailed after commit."""
    won = Booking.objects.filter(pk=booking.pk, status=Booking.Status.CONFIRMED).update(
        status=Booking.Status.CANCELLED, cancelled_at=now, refunded_at=now, refund_reason=reason
    )
    if not won:
        raise RuntimeError(f"booking {booking.pk} changed status under its lock")
    booking.tickets.exclude(status=Ticket.Status.VOID).update(status=Ticket.Status.VOID)
    seats_release(category_id=booking.category_id, quantity=booking.quantity)
    booking_refund_email_schedule(booking_id=booking.pk)


def booking_void_money_back(
    *, booking: Booking, reason: str, now: datetime, attention: str = "", email_fan: bool = True
) -> str:
    """A locked, confirmed booking whose money went back outside the box office (refunded
    in Stripe, disputed at the bank): its unused tickets are voided at once. If none was
    checked in, it is cancelled and its seats return to sale ("cancelled"); if one was, the
    seats cannot come back: it stays confirmed (its seats stay counted) and is flagged for
    staff ("flagged"). `attention` flags it in both cases. Anything else: "unchanged".
    The fan is emailed (outbox) unless email_fan is False."""
    if booking.status != Booking.Status.CONFIRMED:
        return "unchanged"
    booking.tickets.filter(status=Ticket.Status.VALID).update(status=Ticket.Status.VOID)
    used = booking.tickets.filter(status=Ticket.Status.CHECKED_IN).exists()
    changes = {"refunded_at": now, "refund_reason": reason[:200]}
    if used:
        attention = (
            attention or "Money went back after a ticket was checked in: seats not returned."
        )
    if attention:
        changes["attention_reason"] = attention[:300]
    if not used:
        changes.update(status=Booking.Status.CANCELLED, cancelled_at=now)
    won = Booking.objects.filter(pk=booking.pk, status=Booking.Status.CONFIRMED).update(**changes)
    if not won:
        raise RuntimeError(f"booking {booking.pk} changed status under its lock")
    for field, value in changes.items():
        setattr(booking, field, value)
    if not used:
        seats_release(category_id=booking.category_id, quantity=booking.quantity)
    if email_fan:
        booking_refund_email_schedule(booking_id=booking.pk)
    return "flagged" if used else "cancelled"


def booking_flag_attention(*, booking_id: int, attention: str) -> None:
    """Add a note for staff to a booking (kept with the earlier ones)."""
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        return
    notes = f"{booking.attention_reason} | {attention}" if booking.attention_reason else attention
    Booking.objects.filter(pk=booking_id).update(attention_reason=notes[-300:])


def booking_refund_email_schedule(*, booking_id: int) -> None:
    """Tell the fan, through the outbox, in the transaction that recorded the refund."""
    outbox_enqueue(kind=REFUND_EMAIL, payload={"booking_id": booking_id})


def booking_email_deliver_confirmation(payload: dict) -> None:
    """The outbox handler of CONFIRMATION_EMAIL: builds and sends it in this process."""
    from bookings.tasks import send_booking_confirmation_email

    send_booking_confirmation_email(booking_id=int(payload["booking_id"]))


def booking_email_deliver_refund(payload: dict) -> None:
    """The outbox handler of REFUND_EMAIL."""
    from bookings.tasks import send_booking_refund_email

    send_booking_refund_email(booking_id=int(payload["booking_id"]))


# --- check-in --------------------------------------------------------------------------


def _ticket_for_door(*, code: str) -> Ticket | None:
    return (
        Ticket.objects.select_related("booking__user", "booking__concert", "booking__category")
        .filter(code__in=ticket_code_candidates(code or ""))
        .first()
    )


def ticket_check_in(
    *, code: str, concert_id: int | None = None, door: str = "", now: datetime | None = None
) -> Ticket:
    """Admit a ticket at the door, once.

    The code is matched as typed (old codes) or in its normalised Crockford form (any case,
    spaces, dashes, O/I/L look-alikes). One conditional UPDATE on the ticket's own row
    (valid -> checked_in), so two doors scanning the same ticket at the same moment admit
    it once: the other gets TicketAlreadyCheckedIn with the time. UnknownTicket for a code
    we never issued. When the door says which concert it serves (`concert_id`), a ticket
    of another concert is TicketWrongConcert (before anything else: it is the wrong
    queue, whatever its state) and one outside its door window OutsideDoorWindow; without
    it (API clients older than the door picker) neither is checked. TicketVoid for a
    cancelled booking's ticket.
    """
    now = now or timezone.now()
    ticket = _ticket_for_door(code=code)
    if ticket is None:
        raise errors.UnknownTicket()
    concert = ticket.booking.concert
    if concert_id is not None:
        if concert.pk != concert_id:
            raise errors.TicketWrongConcert(
                errors.TicketWrongConcert.default_message.format(concert=concert.name),
                concert=concert.name,
                ticket=ticket_summary(ticket),
            )
        opens, closes = selectors.door_window(concert=concert)
        if not opens <= now <= closes:
            raise errors.OutsideDoorWindow(
                errors.OutsideDoorWindow.default_message.format(
                    opens=_local_time(opens), closes=_local_time(closes)
                ),
                doors_open_at=iso_datetime(opens),
                doors_close_at=iso_datetime(closes),
                ticket=ticket_summary(ticket),
            )
    admitted = Ticket.objects.filter(pk=ticket.pk, status=Ticket.Status.VALID).update(
        status=Ticket.Status.CHECKED_IN, checked_in_at=now, checked_in_door=door[:40]
    )
    ticket.refresh_from_db(fields=["status", "checked_in_at", "checked_in_door"])
    if admitted:
        return ticket
    if ticket.status == Ticket.Status.CHECKED_IN:
        raise errors.TicketAlreadyCheckedIn(
            checked_in_at=iso_datetime(ticket.checked_in_at),
            ticket=ticket_summary(ticket),
        )
    raise errors.TicketVoid(ticket=ticket_summary(ticket))


# What the staff edge writes to the audit log when it undoes a check-in.
CHECKIN_UNDO_AUDIT = "Check-in undone at the door (admitted by mistake)."


def ticket_check_in_undo(*, code: str) -> Ticket:
    """Undo an admission made by mistake: checked_in -> valid in one conditional UPDATE, so
    of two staff undoing at once one wins and the other gets TicketNotCheckedIn (as does a
    ticket never admitted). UnknownTicket, TicketVoid. The caller writes the audit entry."""
    ticket = _ticket_for_door(code=code)
    if ticket is None:
        raise errors.UnknownTicket()
    undone = Ticket.objects.filter(pk=ticket.pk, status=Ticket.Status.CHECKED_IN).update(
        status=Ticket.Status.VALID, checked_in_at=None, checked_in_door=""
    )
    ticket.refresh_from_db(fields=["status", "checked_in_at", "checked_in_door"])
    if undone:
        return ticket
    if ticket.status == Ticket.Status.VOID:
        raise errors.TicketVoid(ticket=ticket_summary(ticket))
    raise errors.TicketNotCheckedIn(ticket=ticket_summary(ticket))


def _local_time(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%d %b %H:%M")


def booking_resend_tickets(*, booking_id: int) -> Booking:
    """Email a confirmed booking's tickets again (a fan lost the email): the same task the
    confirmation schedules, after commit. BookingNotFound; BookingNotConfirmed otherwise."""
    from bookings.tasks import send_booking_confirmation_email

    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        raise errors.BookingNotFound()
    if booking.status != Booking.Status.CONFIRMED:
        raise errors.BookingNotConfirmed("Only a confirmed booking has tickets to send.")
    transaction.on_commit(
        lambda: send_booking_confirmation_email.delay(booking_id=booking.pk), robust=True
    )
    return booking
