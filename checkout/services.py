"""Checkout: where a payment's outcome meets seats.

Confirming a paid booking, a payment that arrives after the hold expired (take the seats
again, or refund), a payment for a cancelled booking (refund), the box office's cancel with
refund, the Stripe webhook and the fake provider's payment all live here. `bookings` knows
seats and states, `payments` knows providers, intents, refunds and the event log; this app
calls both, and neither calls it.

The rule every path keeps: **no provider call (network) while a transaction is open**, so
no booking row lock and no webhook event waits on Stripe. Each flow is
    1. ask the provider (verify the intent, or refund) with no transaction open;
    2. one short transaction: lock the booking, decide, record the decision (and the
       webhook's event id, with its outcome);
    3. after commit, if the decision was "give the money back", ask the provider to refund
       (idempotency key derived from the booking) and record it in another short
       transaction.
A refund that fails in step 3 is not lost: the booking keeps the durable marker
"refund_reason set, refunded_at empty" (refund due), a Celery task retries it with
backoff, the periodic sweep `booking_refunds_settle_due` finishes whatever is left, and
the next confirm call or webhook delivery for that booking retries it too. Money is never
kept without tickets, and tickets are never left valid for money given back, even when it
is given back outside the box office (a refund in Stripe's dashboard, a bank dispute:
money_taken_back_process).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bookings import errors as booking_errors
from bookings import selectors as booking_selectors
from bookings import services as booking_services
from bookings.models import Booking
from config.errors import DomainError
from payments import selectors as payment_selectors
from payments import services as payment_services
from payments.errors import (
    BookingNotPending,
    CardDeclined,
    PaymentNotCompleted,
    PaymentProviderError,
)
from payments.models import Payment
from payments.providers.base import ProviderEvent

logger = logging.getLogger(__name__)

# Why a payment went back (stored on the booking; the tests reuse them).
REFUND_SEATS_GONE = "Paid after the hold expired and its seats were sold."
REFUND_OVER_FAN_LIMIT = "Paid after the hold expired; confirming would exceed the ticket limit."
REFUND_CANCELLED = "Paid for a booking that was cancelled."

MSG_EXPIRED_REFUNDED = "This booking expired and its seats are gone: your payment was refunded."
MSG_EXPIRED_REFUND_PENDING = (
    "This booking expired and its seats are gone: your payment is being refunded."
)
MSG_CANCELLED_REFUNDED = "This booking was cancelled: your payment was refunded."
MSG_CANCELLED_REFUND_PENDING = "This booking was cancelled: your payment is being refunded."

REFUND_SWEEP_BATCH = 100

PAYMENT_SUCCEEDED = "payment_intent.succeeded"
CHARGE_REFUNDED = "charge.refunded"
MONEY_TAKEN_BACK = (CHARGE_REFUNDED, "charge.dispute.created", "charge.dispute.closed")

# Money that went back outside the box office (stored on the booking; the tests reuse them).
REFUND_OUTSIDE = "Refunded in Stripe, outside the box office."
REFUND_DISPUTED = "Payment disputed at the bank."
ATTENTION_DISPUTE = (
    "Bank dispute {dispute_id} ({reason}): tickets voided; answer the dispute in Stripe."
)


# --- confirm ---------------------------------------------------------------------------


class ConfirmStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    REFUNDED_SEATS_GONE = "refunded_seats_gone"
    REFUNDED_OVER_LIMIT = "refunded_over_limit"
    REFUNDED_CANCELLED = "refunded_cancelled"


@dataclass(frozen=True)
class ConfirmOutcome:
    """What a succeeded payment did to its booking. Refused outcomes mean the payment is
    given back: `refund_settled` says whether the provider already did it (if not, it is
    due and will be retried)."""

    status: ConfirmStatus
    booking: Booking
    refund_settled: bool = True

    @property
    def confirmed(self) -> bool:
        return self.status in (ConfirmStatus.CONFIRMED, ConfirmStatus.ALREADY_CONFIRMED)

    def refusal(self) -> DomainError | None:
        """The 409 the API and pages answer for a refused outcome (None when confirmed)."""
        if self.confirmed:
            return None
        extra = {"refunded": self.refund_settled}
        if not self.refund_settled:
            extra["refund_pending"] = True
        if self.status == ConfirmStatus.REFUNDED_CANCELLED:
            detail = MSG_CANCELLED_REFUNDED if self.refund_settled else MSG_CANCELLED_REFUND_PENDING
            return booking_errors.BookingCancelled(detail, **extra)
        detail = MSG_EXPIRED_REFUNDED if self.refund_settled else MSG_EXPIRED_REFUND_PENDING
        return booking_errors.BookingExpired(detail, **extra)


RecordDecision = Callable[[ConfirmOutcome], None]


def booking_payment_start(*, booking: Booking) -> Payment:
    """The payment intent of a pending booking: created once, then the same one again.

    Only a pending booking may be paid (BookingNotPending otherwise); payments refuses a
    hold that has run out and raises PaymentProviderError when the provider is unreachable.
    The provider is asked to email its receipt to the fan.
    """
    if booking.status != Booking.Status.PENDING:
        raise BookingNotPending()
    # Stripe sends the fan its receipt (payments knows no users: it gets the address).
    return payment_services.payment_intent_create(booking=booking, receipt_email=booking.user.email)


def booking_confirm(
    *, booking_id: int, payment_intent_id: str, record: RecordDecision | None = None
) -> ConfirmOutcome:
    """Settle a booking whose payment the fan (or the provider) says succeeded.

    The one confirmation path: PATCH /booking/{id}/confirm, Stripe's return page, the
    Stripe webhook and the fake provider's payment call it. First, with no transaction
    open, the provider is asked whether the intent really succeeded for this booking's
    amount, currency and id (PaymentNotCompleted, 402; PaymentProviderError, 502). Then one
    short transaction locks the booking and decides:
    - pending -> confirmed, tickets issued, queue slot released and email sent after
      commit (the pending booking still holds its seats, even if overdue and not swept);
    - already confirmed -> ALREADY_CONFIRMED, nothing changes (repeating is harmless);
    - expired -> its seats are taken again if still free and the fan limit allows, and it
      is confirmed; else the refund is marked due (REFUNDED_SEATS_GONE / _OVER_LIMIT);
    - cancelled -> the refund is marked due (REFUNDED_CANCELLED).
    `record`, if given, runs inside that transaction with the decision (the webhook records
    its event id there; raising rolls the decision back). After commit a refund due is
    made through the provider (see booking_refund_settle); if the provider fails, the
    outcome says refund_settled=False and a retry is scheduled.
    An expired or cancelled booking whose payment did not succeed raises BookingExpired /
    BookingCancelled; an unknown booking BookingNotFound.
    """
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        raise booking_errors.BookingNotFound()
    if booking.status != Booking.Status.CONFIRMED:
        try:
            payment_services.payment_verify(booking=booking, payment_intent_id=payment_intent_id)
        except PaymentNotCompleted:
            if booking.status == Booking.Status.EXPIRED:
                raise booking_errors.BookingExpired() from None
            if booking.status == Booking.Status.CANCELLED:
                raise booking_errors.BookingCancelled() from None
            raise

    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        outcome = ConfirmOutcome(status=_booking_settle_paid(booking=booking), booking=booking)
        if record is not None:
            record(outcome)
    if outcome.confirmed:
        return outcome
    return replace(outcome, refund_settled=_refund_settle_or_schedule(booking_id=booking_id))


def _booking_settle_paid(*, booking: Booking) -> ConfirmStatus:
    """Under the booking's row lock, with its payment verified: confirm it or mark the
    refund due. Makes no network call."""
    now = timezone.now()
    if booking.status == Booking.Status.CONFIRMED:
        return ConfirmStatus.ALREADY_CONFIRMED
    if booking.status == Booking.Status.PENDING:
        booking_services.booking_mark_confirmed(
            booking=booking, from_status=Booking.Status.PENDING, now=now
        )
        return ConfirmStatus.CONFIRMED
    if booking.status == Booking.Status.CANCELLED:
        _refund_mark_due(booking=booking, reason=REFUND_CANCELLED)
        return ConfirmStatus.REFUNDED_CANCELLED
    refund_reason = _booking_retake_or_refusal(booking=booking)  # expired
    if refund_reason is None:
        booking_services.booking_mark_confirmed(
            booking=booking, from_status=Booking.Status.EXPIRED, now=now
        )
        return ConfirmStatus.CONFIRMED
    _refund_mark_due(booking=booking, reason=refund_reason)
    if refund_reason == REFUND_OVER_FAN_LIMIT:
        return ConfirmStatus.REFUNDED_OVER_LIMIT
    return ConfirmStatus.REFUNDED_SEATS_GONE


def _booking_retake_or_refusal(*, booking: Booking) -> str | None:
    """For a paid, expired booking: take its seats again if allowed; else why we refund."""
    if booking.refund_reason:  # already refused once (refund due or done): stay refused
        return booking.refund_reason
    held = booking_selectors.fan_tickets_held(
        user_id=booking.user_id, concert_id=booking.concert_id, exclude_booking_id=booking.pk
    )
    if held + booking.quantity > settings.MAX_TICKETS_PER_FAN:
        return REFUND_OVER_FAN_LIMIT
    if not booking_services.seats_take(category_id=booking.category_id, quantity=booking.quantity):
        return REFUND_SEATS_GONE
    return None


def _refund_mark_due(*, booking: Booking, reason: str) -> None:
    # The durable marker: refund_reason set and refunded_at empty means "refund due".
    if not booking.refund_reason:
        booking.refund_reason = reason
        booking.save(update_fields=["refund_reason"])


# --- refunds of payments we cannot honour ----------------------------------------------


def _refund_due_bookings():
    return Booking.objects.filter(
        status__in=[Booking.Status.EXPIRED, Booking.Status.CANCELLED],
        refunded_at__isnull=True,
    ).exclude(refund_reason="")


def booking_refund_settle(*, booking_id: int) -> bool:
    """Give back the payment of a booking whose refund is due, and record it; True when it
    is (now or already) refunded, False when no refund is due.

    Runs with no transaction open: the provider call carries a key derived from the
    booking, so a retry, a concurrent sweep or a replayed webhook get the same refund;
    recording it is one conditional UPDATE (refunded_at empty), so the fan is emailed once.
    Only an expired or cancelled booking qualifies: tickets are never left valid for money
    given back. Raises PaymentProviderError when the provider fails (the marker stays).
    """
    booking = _refund_due_bookings().filter(pk=booking_id).first()
    if booking is None:
        return Booking.objects.filter(pk=booking_id, refunded_at__isnull=False).exists()
    payment_services.payment_refund(booking=booking, reason=booking.refund_reason)
    with transaction.atomic():
        won = Booking.objects.filter(pk=booking_id, refunded_at__isnull=True).update(
            refunded_at=timezone.now()
        )
        if won:
            booking_services.booking_refund_email_schedule(booking_id=booking_id)
    return True


def _refund_settle_or_schedule(*, booking_id: int) -> bool:
    try:
        return booking_refund_settle(booking_id=booking_id)
    except PaymentProviderError:
        logger.warning("Refund of booking %s failed; retrying in the background", booking_id)
        from checkout.tasks import settle_booking_refund

        # robust: a broker outage must not turn a recorded decision into an error; the
        # periodic sweep still finds the marker.
        transaction.on_commit(
            lambda: settle_booking_refund.delay(booking_id=booking_id), robust=True
        )
        return False


def booking_refunds_settle_due(*, batch_size: int = REFUND_SWEEP_BATCH) -> int:
    """The sweep: settle every refund still due (the provider failed when it was decided
    and the task's retries ran out). Returns how many it settled; failures stay due."""
    settled = 0
    for booking_id in (
        _refund_due_bookings().order_by("pk").values_list("pk", flat=True)[:batch_size]
    ):
        try:
            settled += booking_refund_settle(booking_id=booking_id)
        except DomainError as exc:
            logger.warning("Refund of booking %s still due: %s", booking_id, exc.message)
    return settled


# --- cancel a confirmed booking with a refund (box office / admin) ----------------------


def booking_cancel_confirmed(
    *, booking_id: int, reason: str = "Cancelled by the box office."
) -> Booking:
    """Cancel a confirmed booking with a refund: the payment goes back through the provider,
    then its tickets are voided and its seats return to sale.

    The provider is asked first, with no transaction or lock open; if it refuses
    (PaymentProviderError) or there is nothing to refund (PaymentNotRefundable), nothing
    changes: the booking stays confirmed and its tickets valid. BookingNotFound,
    BookingNotConfirmed (409) if it is not confirmed. Repeating it after a crash between
    the refund and the cancel finishes the cancel (the refund is idempotent).
    """
    booking = Booking.objects.filter(pk=booking_id).first()
    if booking is None:
        raise booking_errors.BookingNotFound()
    if booking.status != Booking.Status.CONFIRMED:
        raise booking_errors.BookingNotConfirmed()
    payment_services.payment_refund(booking=booking, reason=reason)
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if booking.status == Booking.Status.CONFIRMED:
            booking_services.booking_mark_cancelled_refunded(
                booking=booking, reason=reason, now=timezone.now()
            )
    booking.refresh_from_db()
    return booking


# --- provider events: the Stripe webhook and the fake provider ---------------------------


class _DuplicateEvent(Exception):
    """Another delivery of the same event committed first: roll this one's effects back."""


def stripe_webhook_receive(*, payload: bytes, signature_header: str) -> str:
    """Verify a Stripe webhook over its raw body and handle it once. Raises BadSignature."""
    event = payment_services.stripe_event_verify(payload=payload, signature_header=signature_header)
    return payment_event_process(event=event, provider=Payment.Provider.STRIPE)


def payment_event_process(*, event: ProviderEvent, provider: str) -> str:
    """Handle one provider event exactly once; returns what happened (also recorded).

    payment_intent.succeeded settles the booking (booking_confirm, its event id recorded
    in the deciding transaction). The event's word alone changes nothing: the payment
    becomes succeeded only when the provider's API agrees (payment_verify inside
    booking_confirm: status, amount, currency, booking id); an event the API contradicts
    leaves payment and booking as they were and is recorded with that outcome.
    charge.refunded (in full) and charge.dispute.* take the money back outside the box
    office: see money_taken_back_process. Every other type only changes payments' rows.
    A replay, or a duplicate delivered concurrently, changes nothing and answers
    "duplicate". A transient provider error (PaymentProviderError) records nothing, so the
    provider delivers the event again; a refund that fails after the decision is recorded
    as due and retried here, not by the provider.
    """
    if payment_services.payment_event_seen(event_id=event.id):
        return "duplicate"
    if event.type in MONEY_TAKEN_BACK:
        return money_taken_back_process(event=event, provider=provider)
    if event.type != PAYMENT_SUCCEEDED:
        return payment_services.payment_event_handle(event=event, provider=provider)

    intent_id = payment_services.event_intent_id(event)
    payment = payment_selectors.payment_get_by_intent(intent_id=intent_id)
    if payment is None:
        return _event_record_alone(event=event, provider=provider, outcome="unknown_intent")
    if payment.status == Payment.Status.REFUNDED:
        return _event_record_alone(event=event, provider=provider, outcome="already_refunded")

    def record(outcome: ConfirmOutcome) -> None:
        refusal = outcome.refusal()
        what = "booking_confirmed" if refusal is None else f"booking_not_confirmed:{refusal.code}"
        if not payment_services.payment_event_record(event=event, provider=provider, outcome=what):
            raise _DuplicateEvent()

    try:
        outcome = booking_confirm(
            booking_id=payment.booking_id, payment_intent_id=intent_id, record=record
        )
    except _DuplicateEvent:
        return "duplicate"
    except PaymentProviderError:
        raise  # transient: nothing recorded, so the event is delivered (or paid) again
    except DomainError as exc:
        # The booking said no before any decision (e.g. the provider's API does not confirm
        # the payment or its amount). Answering an error would only make Stripe retry.
        return _event_refused(event=event, provider=provider, payment=payment, error=exc)
    refusal = outcome.refusal()
    if refusal is not None:
        return _event_refused(
            event=event, provider=provider, payment=payment, error=refusal, record=False
        )
    return "booking_confirmed"


def money_taken_back_process(*, event: ProviderEvent, provider: str) -> str:
    """A refund made in Stripe's dashboard, or a bank dispute: the money left without the
    box office, so the tickets must not stay valid.

    One transaction, no network call: payments records the refund or dispute, then the
    booking, under its row lock, has its unused tickets voided and (if none was checked in)
    is cancelled with its seats back on sale; otherwise it stays confirmed and is flagged
    for staff (booking_void_money_back). A full refund emails the fan (outbox); a partial
    refund is only recorded on the payment. A dispute voids at once (the money is frozen)
    and always flags the booking, so staff can answer it; its closing adds a note. The
    event id is recorded with the outcome in the same transaction (a duplicate rolls back).
    Our own refunds (late payments, cancel with refund) come back here too, and find their
    booking already expired or cancelled: nothing changes.
    """
    with transaction.atomic():
        payment_outcome = payment_services.payment_event_apply(event=event)
        booking_outcome = ""
        payment = payment_selectors.payment_get_by_intent(
            intent_id=payment_services.event_intent_id(event)
        )
        if payment is not None and payment_outcome in ("marked_refunded", "dispute_opened"):
            booking_outcome = _booking_money_taken_back(event=event, booking_id=payment.booking_id)
        elif payment is not None and payment_outcome.startswith("dispute_closed"):
            booking_services.booking_flag_attention(
                booking_id=payment.booking_id,
                attention=f"Dispute closed in Stripe: {payment_outcome.split(':', 1)[1]}.",
            )
            booking_outcome = "flagged"
        outcome = (
            f"{payment_outcome}:booking_{booking_outcome}" if booking_outcome else payment_outcome
        )
        if not payment_services.payment_event_record(
            event=event, provider=provider, outcome=outcome
        ):
            transaction.set_rollback(True)
            return "duplicate"
    if booking_outcome in ("cancelled", "flagged") and payment is not None:
        logger.warning(
            "Money taken back outside the box office (%s %s): booking %s %s",
            event.type,
            event.id,
            payment.booking_id,
            booking_outcome,
        )
    return outcome


def _booking_money_taken_back(*, event: ProviderEvent, booking_id: int) -> str:
    booking = Booking.objects.select_for_update().get(pk=booking_id)
    now = timezone.now()
    if event.type == CHARGE_REFUNDED:
        return booking_services.booking_void_money_back(
            booking=booking, reason=REFUND_OUTSIDE, now=now
        )
    dispute = event.data_object
    return booking_services.booking_void_money_back(
        booking=booking,
        reason=REFUND_DISPUTED,
        now=now,
        attention=ATTENTION_DISPUTE.format(
            dispute_id=dispute.get("id", "?"), reason=dispute.get("reason") or "unknown"
        ),
        email_fan=False,
    )


def _event_refused(
    *,
    event: ProviderEvent,
    provider: str,
    payment: Payment,
    error: DomainError,
    record: bool = True,
) -> str:
    logger.warning(
        "Payment %s succeeded but booking %s was not confirmed: %s (%s)",
        payment.intent_id,
        payment.booking_id,
        error.message,
        error.code,
    )
    outcome = f"booking_not_confirmed:{error.code}"
    if record:
        return _event_record_alone(event=event, provider=provider, outcome=outcome)
    return outcome


def _event_record_alone(*, event: ProviderEvent, provider: str, outcome: str) -> str:
    with transaction.atomic():
        if not payment_services.payment_event_record(
            event=event, provider=provider, outcome=outcome
        ):
            return "duplicate"
    return outcome


def fake_payment_pay(*, payment_intent_id: str, card_number: str) -> Payment:
    """Pay a fake intent with a test card (only when PAYMENT_PROVIDER=fake).

    Success becomes a payment_intent.succeeded event handled by payment_event_process, the
    same handler as Stripe's webhook (so it settles the booking); paying a succeeded intent
    again is a no-op. A decline becomes payment_intent.payment_failed, then raises
    CardDeclined (402) with the decline code; the same intent can be paid again.
    Raises FakeProviderDisabled / NotFound (404) for another provider or an unknown intent.
    """
    event = payment_services.fake_payment_charge(
        payment_intent_id=payment_intent_id, card_number=card_number
    )
    payment_event_process(event=event, provider=Payment.Provider.FAKE)
    payment = Payment.objects.get(intent_id=str(payment_intent_id))
    if event.type != PAYMENT_SUCCEEDED:
        error = event.data_object.get("last_payment_error") or {}
        raise CardDeclined(
            error.get("message") or CardDeclined.default_message,
            decline_code=error.get("decline_code", ""),
        )
    return payment
