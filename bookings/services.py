"""Booking lifecycle: where money and seats meet.

Invariants every function here keeps, for each ticket category:
    available_seats + seats of pending bookings + seats of confirmed bookings == total_seats
- Seats change only by one conditional UPDATE (`available_seats >= n`), never read-then-write.
- A booking's status changes only by a conditional transition (or under its row lock), and
  whoever makes the transition is the only one to move its seats, so a confirmation racing
  the expiry sweep or a cancel wins or loses cleanly and seats are never released twice.
- Money is never kept without tickets: a payment that arrives for a booking whose seats
  are gone (or that was cancelled) is refunded and the fan is told.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from bookings import errors, selectors
from bookings.models import Booking, Ticket
from bookings.presenters import iso_datetime, ticket_summary
from concerts.errors import CategoryNotFound
from concerts.models import TicketCategory
from payments import services as payment_services
from payments.errors import PaymentNotCompleted
from queueing import services as queue_services

logger = logging.getLogger(__name__)

EXPIRY_BATCH_SIZE = 200


# --- seats -----------------------------------------------------------------------------


def _seats_take(*, category_id: int, quantity: int) -> bool:
    """Take `quantity` seats in one conditional UPDATE; False when not enough are left."""
    return bool(
        TicketCategory.objects.filter(pk=category_id, available_seats__gte=quantity).update(
            available_seats=F("available_seats") - quantity
        )
    )


def _seats_release(*, category_id: int, quantity: int) -> None:
    # Only the winner of a booking's status transition calls this, once per booking;
    # the category's CHECK (available <= total) would refuse a double release anyway.
    TicketCategory.objects.filter(pk=category_id).update(
        available_seats=F("available_seats") + quantity
    )


# --- create ----------------------------------------------------------------------------


def booking_create(*, user, category_id: int, quantity: int) -> Booking:
    """Hold `quantity` seats of a category for BOOKING_HOLD_SECONDS, as a pending booking.

    Rules: the category belongs to a published concert (CategoryNotFound); the fan holds
    an active queue slot for the concert (QueueSlotRequired); the quantity is within 1..MAX_TICKETS_PER_BOOKING (InvalidQuantity); the fan's pending
    and confirmed tickets for the concert stay within MAX_TICKETS_PER_FAN
    (TicketLimitReached); the fan has no other pending booking (PendingBookingExists,
    enforced by the partial unique index, so two racing requests cannot both win);
    enough seats are left (InsufficientSeats). The insert and the seat UPDATE share one
    transaction: a refusal leaves nothing behind.
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
    if not queue_services.queue_slot_is_active(user_id=user.pk, concert_id=category.concert_id):
        raise errors.QueueSlotRequired()

    now = timezone.now()
    # A hold past its time that the sweep has not reached yet must not block a new one.
    for overdue_id in Booking.objects.filter(
        user_id=user.pk, status=Booking.Status.PENDING, expires_at__lte=now
    ).values_list("pk", flat=True):
        booking_expire(booking_id=overdue_id, now=now)

    with transaction.atomic():
        if Booking.objects.filter(user_id=user.pk, status=Booking.Status.PENDING).exists():
            raise errors.PendingBookingExists()
        fan_limit = settings.MAX_TICKETS_PER_FAN
        held = selectors.fan_tickets_held(user_id=user.pk, concert_id=category.concert_id)
        if held + quantity > fan_limit:
            raise errors.TicketLimitReached(
                errors.TicketLimitReached.default_message.format(limit=fan_limit),
                limit=fan_limit,
                held=held,
            )
        try:
            # The savepoint keeps the outer transaction usable after a constraint error.
            with transaction.atomic():
                booking = Booking.objects.create(
                    user=user,
                    concert_id=category.concert_id,
                    category=category,
                    quantity=quantity,
                    unit_price=category.price,
                    total_amount=category.price * quantity,
                    currency=category.currency.lower(),
                    status=Booking.Status.PENDING,
                    expires_at=now + timedelta(seconds=settings.BOOKING_HOLD_SECONDS),
                )
        except IntegrityError as exc:
            # booking_one_pending_per_user: a concurrent request of the same fan won (it
            # committed first: PostgreSQL made this insert wait for it, then refused it).
            if Booking.objects.filter(user_id=user.pk, status=Booking.Status.PENDING).exists():
                raise errors.PendingBookingExists() from exc
            raise
        if not _seats_take(category_id=category.pk, quantity=quantity):
            raise errors.InsufficientSeats()  # rolls back the insert too
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
        _seats_release(category_id=booking.category_id, quantity=booking.quantity)
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
            _seats_release(category_id=booking["category_id"], quantity=booking["quantity"])
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


# --- confirm ---------------------------------------------------------------------------


def _tickets_issue(*, booking: Booking) -> None:
    Ticket.objects.bulk_create([Ticket(booking=booking) for _ in range(booking.quantity)])


def _after_confirm(*, booking: Booking) -> None:
    from bookings.tasks import send_booking_confirmation_email

    # The fan is done: their queue slot goes to the next fan in line.
    transaction.on_commit(
        lambda: queue_services.queue_slot_release(
            user_id=booking.user_id, concert_id=booking.concert_id
        ),
        robust=True,
    )
    transaction.on_commit(
        lambda: send_booking_confirmation_email.delay(booking_id=booking.pk), robust=True
    )


def _refund_late_payment(*, booking: Booking, reason: str) -> None:
    """Give back a payment we cannot honour; runs under the booking's row lock, once."""
    if booking.refunded_at is not None:
        return
    payment_services.payment_refund(booking=booking, reason=reason)
    booking.refunded_at = timezone.now()
    booking.refund_reason = reason
    booking.save(update_fields=["refunded_at", "refund_reason"])
    from bookings.tasks import send_booking_refund_email

    transaction.on_commit(
        lambda: send_booking_refund_email.delay(booking_id=booking.pk), robust=True
    )


REFUND_SEATS_GONE = "Paid after the hold expired and its seats were sold."
REFUND_OVER_FAN_LIMIT = "Paid after the hold expired; confirming would exceed the ticket limit."
REFUND_CANCELLED = "Paid for a booking that was cancelled."


def booking_confirm(*, booking_id: int, payment_intent_id: str) -> Booking:
    """Confirm a booking once its payment really succeeded, and issue its tickets.

    The one confirmation path: PATCH /booking/{id}/confirm and the payment-succeeded
    handlers (Stripe webhook, fake provider) call it. It asks the payments app to verify
    the intent against the booking's amount, currency and id (PaymentNotCompleted, 402),
    then, under the booking's row lock:
    - pending -> confirmed, tickets issued, queue slot released and the email sent after
      commit (the pending booking still holds its seats, even if overdue and not swept);
    - already confirmed -> returned unchanged (repeating is harmless);
    - expired -> the seats are taken again if still free (and the fan limit allows) and
      the booking is confirmed; otherwise the payment is refunded, recorded and the fan
      emailed, and BookingExpired (409) is raised;
    - cancelled -> the payment is refunded and BookingCancelled (409) is raised.
    An expired or cancelled booking with no succeeded payment raises BookingExpired /
    BookingCancelled. Unknown booking: BookingNotFound.
    """
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        raise errors.BookingNotFound()
    if booking.status == Booking.Status.CONFIRMED:
        return booking
    try:
        # The provider call stays outside the transaction: no row lock waits on the network.
        payment_services.payment_verify(booking=booking, payment_intent_id=payment_intent_id)
    except PaymentNotCompleted:
        if booking.status == Booking.Status.EXPIRED:
            raise errors.BookingExpired() from None
        if booking.status == Booking.Status.CANCELLED:
            raise errors.BookingCancelled() from None
        raise

    refused: errors.DomainError | None = None
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        now = timezone.now()
        if booking.status == Booking.Status.CONFIRMED:
            return booking
        if booking.status == Booking.Status.PENDING:
            _booking_mark_confirmed(booking=booking, from_status=Booking.Status.PENDING, now=now)
        elif booking.status == Booking.Status.EXPIRED:
            refund_reason = _booking_retake_or_refusal(booking=booking)
            if refund_reason is None:
                _booking_mark_confirmed(
                    booking=booking, from_status=Booking.Status.EXPIRED, now=now
                )
            else:
                _refund_late_payment(booking=booking, reason=refund_reason)
                refused = errors.BookingExpired(
                    "This booking expired and its seats are gone: your payment was refunded.",
                    refunded=True,
                )
        else:  # cancelled
            _refund_late_payment(booking=booking, reason=REFUND_CANCELLED)
            refused = errors.BookingCancelled(
                "This booking was cancelled: your payment was refunded.", refunded=True
            )
    if refused is not None:
        raise refused
    return booking


def _booking_retake_or_refusal(*, booking: Booking) -> str | None:
    """For a paid, expired booking: take its seats again if allowed; else why we refund."""
    if booking.refunded_at is not None:
        return REFUND_SEATS_GONE
    held = selectors.fan_tickets_held(
        user_id=booking.user_id, concert_id=booking.concert_id, exclude_booking_id=booking.pk
    )
    if held + booking.quantity > settings.MAX_TICKETS_PER_FAN:
        return REFUND_OVER_FAN_LIMIT
    if not _seats_take(category_id=booking.category_id, quantity=booking.quantity):
        return REFUND_SEATS_GONE
    return None


def _booking_mark_confirmed(*, booking: Booking, from_status: str, now: datetime) -> None:
    won = Booking.objects.filter(pk=booking.pk, status=from_status).update(
        status=Booking.Status.CONFIRMED, confirmed_at=now
    )
    if not won:  # cannot happen under the row lock; refuse loudly rather than oversell
        raise RuntimeError(f"booking {booking.pk} changed status under its lock")
    booking.status = Booking.Status.CONFIRMED
    booking.confirmed_at = now
    _tickets_issue(booking=booking)
    _after_confirm(booking=booking)


# --- cancel a confirmed booking (box office / admin) -----------------------------------


def booking_cancel_confirmed(
    *, booking_id: int, reason: str = "Cancelled by the box office."
) -> Booking:
    """Cancel a confirmed booking with a refund: the payment goes back through the provider,
    its tickets are voided and its seats return to sale, all or nothing.

    BookingNotConfirmed if it is not confirmed; provider errors propagate and change nothing.
    """
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
        if booking is None:
            raise errors.BookingNotFound()
        if booking.status != Booking.Status.CONFIRMED:
            raise errors.BookingNotConfirmed()
        payment_services.payment_refund(booking=booking, reason=reason)
        now = timezone.now()
        Booking.objects.filter(pk=booking.pk, status=Booking.Status.CONFIRMED).update(
            status=Booking.Status.CANCELLED, cancelled_at=now, refunded_at=now, refund_reason=reason
        )
        booking.tickets.exclude(status=Ticket.Status.VOID).update(status=Ticket.Status.VOID)
        _seats_release(category_id=booking.category_id, quantity=booking.quantity)
        booking.refresh_from_db()
        from bookings.tasks import send_booking_refund_email

        transaction.on_commit(
            lambda: send_booking_refund_email.delay(booking_id=booking.pk), robust=True
        )
    return booking


# --- check-in --------------------------------------------------------------------------


def ticket_check_in(*, code: str) -> Ticket:
    """Admit a ticket at the door, once.

    One conditional UPDATE on the ticket's own row (valid -> checked_in), so two doors
    scanning the same ticket at the same moment admit it once: the other gets
    TicketAlreadyCheckedIn with the time. TicketVoid for a cancelled booking's ticket,
    UnknownTicket for a code we never issued.
    """
    code = (code or "").strip()
    now = timezone.now()
    admitted = Ticket.objects.filter(code=code, status=Ticket.Status.VALID).update(
        status=Ticket.Status.CHECKED_IN, checked_in_at=now
    )
    ticket = (
        Ticket.objects.select_related("booking__user", "booking__concert", "booking__category")
        .filter(code=code)
        .first()
    )
    if ticket is None:
        raise errors.UnknownTicket()
    if admitted:
        return ticket
    if ticket.status == Ticket.Status.CHECKED_IN:
        raise errors.TicketAlreadyCheckedIn(
            checked_in_at=iso_datetime(ticket.checked_in_at),
            ticket=ticket_summary(ticket),
        )
    raise errors.TicketVoid(ticket=ticket_summary(ticket))
