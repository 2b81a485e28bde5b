"""Payments: intents, verification with the provider, refunds, and the provider event log.

Every money fact comes from the provider (Stripe, or the fake provider's ledger), never from
the client. Provider events are recorded once (ProcessedWebhookEvent), and a payment's
status only moves forward: requires_payment/failed/processing -> succeeded -> refunded, so a
late or replayed event cannot undo a success or a refund.

This app is a library: it imports no other app. A booking is anything with the attributes
of `PayableBooking`; what a succeeded payment means for seats is decided by the checkout
app, which calls these functions. No function here calls the provider inside a database
transaction or while holding a row lock: a slow provider never holds locks of ours.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import NotFound

from .errors import (
    BadSignature,
    BookingNotPending,
    FakeProviderDisabled,
    PaymentNotCompleted,
    PaymentNotRefundable,
    PaymentProviderError,
)
from .models import Payment, ProcessedWebhookEvent
from .providers import get_provider
from .providers.base import (
    InvalidWebhookSignature,
    ProviderCardError,
    ProviderEvent,
    ProviderIntent,
    ProviderRequestError,
    from_minor_units,
    to_minor_units,
)


class PayableBooking(Protocol):
    """What payments needs to know of a booking (bookings.models.Booking has all of it)."""

    @property
    def pk(self) -> Any: ...
    @property
    def reference(self) -> str: ...
    @property
    def total_amount(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...


logger = logging.getLogger(__name__)

# Error messages the tests reuse.
MSG_NO_SUCH_PAYMENT = "No payment with this id belongs to this booking."
MSG_PAYMENT_REFUNDED = "This payment has been refunded."
MSG_NOT_SUCCEEDED = "The payment has not succeeded (status: {status})."
MSG_WRONG_AMOUNT = "The payment amount does not match the booking."
MSG_WRONG_CURRENCY = "The payment currency does not match the booking."
MSG_WRONG_BOOKING = "The payment belongs to another booking."
MSG_HOLD_EXPIRED = "The hold on this booking has expired."

# Statuses a payment may still leave for "succeeded" / "failed" / "processing".
OPEN_STATUSES = (
    Payment.Status.REQUIRES_PAYMENT,
    Payment.Status.PROCESSING,
    Payment.Status.FAILED,
)


def intent_idempotency_key(booking: PayableBooking) -> str:
    # The reference too: a booking id alone repeats after a database reset, and Stripe
    # rejects a key reused with different parameters for 24 hours.
    return f"booking-{booking.pk}-{booking.reference}-intent"


def refund_idempotency_key(booking: PayableBooking) -> str:
    return f"booking-{booking.pk}-{booking.reference}-refund"


def _provider_call(call, *args: Any, **kwargs: Any):
    try:
        return call(*args, **kwargs)
    except ProviderRequestError as exc:
        logger.warning("Payment provider request failed: %s", exc)
        raise PaymentProviderError() from exc


# --- Intents ------------------------------------------------------------------------------


def payment_intent_create(*, booking: PayableBooking, receipt_email: str = "") -> Payment:
    """The booking's payment intent: created once, then the same one again.

    Refuses a booking whose hold has run out (BookingNotPending); whether the booking may
    be paid at all (it is pending) is checkout's rule (checkout.services.booking_payment_start).
    Idempotent under concurrency: the provider call carries a key derived from the booking
    (Stripe answers the same intent), and a unique (booking, provider) row settles the race.
    Raises PaymentProviderError when the provider cannot be reached. receipt_email, when
    given, asks the provider to send the fan its receipt.
    """
    provider = get_provider()
    existing = Payment.objects.filter(booking_id=booking.pk, provider=provider.name).first()
    if existing is not None:
        return existing
    if booking.expires_at <= timezone.now():
        raise BookingNotPending(MSG_HOLD_EXPIRED)

    intent: ProviderIntent = _provider_call(
        provider.intent_create,
        amount_minor=to_minor_units(booking.total_amount, booking.currency),
        currency=booking.currency.lower(),
        metadata={"booking_id": str(booking.pk), "reference": booking.reference},
        idempotency_key=intent_idempotency_key(booking),
        description=f"boxoffice booking {booking.reference}",
        receipt_email=receipt_email,
    )
    try:
        with transaction.atomic():
            return Payment.objects.create(
                booking_id=booking.pk,
                provider=provider.name,
                intent_id=intent.id,
                client_secret=intent.client_secret,
                amount=booking.total_amount,
                currency=booking.currency.lower(),
                provider_response=intent.raw,
            )
    except IntegrityError:
        # A concurrent request for the same booking stored the (same) intent first.
        return Payment.objects.get(booking_id=booking.pk, provider=provider.name)


def payment_verify(*, booking: PayableBooking, payment_intent_id: str) -> Payment:
    """Ask the provider whether this booking's payment really succeeded.

    Checks the intent belongs to one of our payments for this booking, and the provider's
    answer: status succeeded, amount (minor units) and currency equal the booking's, and
    metadata booking_id is this booking. Records the answer and marks the payment
    succeeded. Raises PaymentNotCompleted (402) on any mismatch, on a refunded payment, or
    an unknown intent; PaymentProviderError (502) when the provider cannot be reached.
    """
    payment = Payment.objects.filter(
        intent_id=str(payment_intent_id), booking_id=booking.pk
    ).first()
    if payment is None:
        raise PaymentNotCompleted(MSG_NO_SUCH_PAYMENT)
    if payment.status == Payment.Status.REFUNDED:
        raise PaymentNotCompleted(MSG_PAYMENT_REFUNDED)

    provider = get_provider(payment.provider)
    intent: ProviderIntent = _provider_call(provider.intent_retrieve, intent_id=payment.intent_id)
    Payment.objects.filter(pk=payment.pk).update(
        provider_response=intent.raw, updated_at=timezone.now()
    )

    if intent.status != "succeeded":
        raise PaymentNotCompleted(MSG_NOT_SUCCEEDED.format(status=intent.status or "unknown"))
    if intent.amount_minor != to_minor_units(booking.total_amount, booking.currency):
        raise PaymentNotCompleted(MSG_WRONG_AMOUNT)
    if intent.currency.lower() != booking.currency.lower():
        raise PaymentNotCompleted(MSG_WRONG_CURRENCY)
    if intent.metadata.get("booking_id") != str(booking.pk):
        raise PaymentNotCompleted(MSG_WRONG_BOOKING)

    _mark_succeeded(payment.pk)
    payment.refresh_from_db()
    if payment.status == Payment.Status.REFUNDED:
        raise PaymentNotCompleted(MSG_PAYMENT_REFUNDED)
    return payment


def _mark_succeeded(payment_pk: int, provider_response: dict | None = None) -> bool:
    """Conditional transition to succeeded; False when it was already succeeded or refunded."""
    now = timezone.now()
    changes: dict[str, Any] = {
        "status": Payment.Status.SUCCEEDED,
        "succeeded_at": now,
        "updated_at": now,
        "failure_code": "",
        "failure_message": "",
    }
    if provider_response is not None:
        changes["provider_response"] = provider_response
    return bool(Payment.objects.filter(pk=payment_pk, status__in=OPEN_STATUSES).update(**changes))


# --- Refunds ------------------------------------------------------------------------------


def payment_refund(*, booking: PayableBooking, reason: str) -> Payment:
    """Refund the booking's succeeded payment in full, through its provider.

    Safe to repeat and to race: a refunded payment is returned as it is, and the provider
    call carries a key derived from the booking, so two callers get the same refund and
    one conditional UPDATE records it. No transaction or row lock is open while the
    provider is asked. Raises PaymentNotRefundable (409) when the booking has no succeeded
    payment, and PaymentProviderError (502) when the provider refuses or cannot be reached.
    """
    payment = (
        Payment.objects.filter(
            booking_id=booking.pk,
            status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED],
        )
        .order_by("-created_at")
        .first()
    )
    if payment is None:
        raise PaymentNotRefundable()
    if payment.status == Payment.Status.REFUNDED:
        return payment
    provider = get_provider(payment.provider)
    try:
        refund = provider.refund_create(
            intent_id=payment.intent_id,
            amount_minor=to_minor_units(payment.amount, payment.currency),
            idempotency_key=refund_idempotency_key(booking),
            reason=reason,
        )
    except (ProviderRequestError, ProviderCardError) as exc:
        logger.error("Refund of %s failed: %s", payment.intent_id, exc)
        raise PaymentProviderError(f"The refund failed: {exc}") from exc
    now = timezone.now()
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.SUCCEEDED).update(
        status=Payment.Status.REFUNDED,
        refund_id=refund.id,
        refund_status=refund.status,
        refund_reason=reason[:255],
        refunded_amount=from_minor_units(refund.amount_minor, payment.currency),
        refunded_at=now,
        updated_at=now,
        provider_response={**payment.provider_response, "last_refund": refund.raw},
    )
    payment.refresh_from_db()
    logger.info("Refunded %s for booking %s: %s", payment.intent_id, booking.reference, reason)
    return payment


# --- Provider events (Stripe webhooks and the fake provider's payments) ----------------------
#
# The event log is payments' own: checkout records a payment_intent.succeeded event together
# with what it did to the booking (payment_event_record inside its transaction); every
# other event type changes only payments' rows and is handled here (payment_event_handle).


def stripe_event_verify(*, payload: bytes, signature_header: str) -> ProviderEvent:
    """Verify a Stripe webhook over its raw body (HMAC, no network). Raises BadSignature."""
    from .providers.stripe_provider import stripe_webhook_event_parse

    try:
        return stripe_webhook_event_parse(payload=payload, signature_header=signature_header)
    except InvalidWebhookSignature as exc:
        logger.warning("Rejected a Stripe webhook: %s", exc)
        raise BadSignature() from exc


def payment_event_seen(*, event_id: str) -> bool:
    """Whether this provider event was already handled (a replay changes nothing)."""
    return ProcessedWebhookEvent.objects.filter(event_id=event_id).exists()


def payment_event_record(*, event: ProviderEvent, provider: str, outcome: str) -> bool:
    """Record the event id with what it caused, inside the caller's transaction, so the id
    and its effects commit together. False when the id is already recorded (a duplicate
    delivered concurrently waits on the unique index, then lands here): the caller rolls
    its effects back."""
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            ProcessedWebhookEvent.objects.create(
                event_id=event.id,
                event_type=event.type[:64],
                provider=provider,
                intent_id=event_intent_id(event)[:255],
                outcome=outcome[:255],
            )
    except IntegrityError:
        logger.info("Provider event %s already handled", event.id)
        return False
    return True


def payment_event_handle(*, event: ProviderEvent, provider: str) -> str:
    """Handle one provider event that changes only payments' rows, exactly once; returns
    what happened (also recorded). The id and its effects share one transaction, which
    makes no network call. payment_intent.succeeded is not handled here: a payment becomes
    succeeded only when the provider's API confirms it (payment_verify, which checkout's
    booking_confirm calls), never on an event's word alone."""
    with transaction.atomic():
        outcome = payment_event_apply(event=event)
        if not payment_event_record(event=event, provider=provider, outcome=outcome):
            transaction.set_rollback(True)
            return "duplicate"
    return outcome


def payment_event_apply(*, event: ProviderEvent) -> str:
    """Apply an event to payments' rows inside the caller's transaction, without recording
    it (the caller records it with everything else it caused); returns what happened:
    marked_failed, marked_processing, marked_refunded, partial_refund_recorded,
    dispute_opened, dispute_closed:<status>, no_change, unknown_intent or ignored."""
    handler = _EVENT_HANDLERS.get(event.type)
    return handler(event, event_intent_id(event)) if handler else "ignored"


def event_intent_id(event: ProviderEvent) -> str:
    obj = event.data_object
    if obj.get("object") == "payment_intent" or event.type.startswith("payment_intent."):
        return str(obj.get("id") or "")
    return str(obj.get("payment_intent") or "")


def _on_intent_failed(event: ProviderEvent, intent_id: str) -> str:
    error = event.data_object.get("last_payment_error") or {}
    updated = Payment.objects.filter(intent_id=intent_id, status__in=OPEN_STATUSES).update(
        status=Payment.Status.FAILED,
        failure_code=str(error.get("decline_code") or error.get("code") or "")[:64],
        failure_message=str(error.get("message") or "")[:255],
        provider_response=event.data_object,
        updated_at=timezone.now(),
    )
    return "marked_failed" if updated else "no_change"


def _on_intent_processing(event: ProviderEvent, intent_id: str) -> str:
    updated = Payment.objects.filter(
        intent_id=intent_id,
        status__in=[Payment.Status.REQUIRES_PAYMENT, Payment.Status.FAILED],
    ).update(
        status=Payment.Status.PROCESSING,
        provider_response=event.data_object,
        updated_at=timezone.now(),
    )
    return "marked_processing" if updated else "no_change"


def _on_charge_refunded(event: ProviderEvent, intent_id: str) -> str:
    charge = event.data_object
    payment = Payment.objects.filter(intent_id=intent_id).first()
    if payment is None:
        return "unknown_intent"
    refunded_amount = from_minor_units(int(charge.get("amount_refunded") or 0), payment.currency)
    now = timezone.now()
    if charge.get("refunded"):
        # Fully refunded is terminal, whatever arrived before (even out of order).
        Payment.objects.filter(pk=payment.pk).exclude(status=Payment.Status.REFUNDED).update(
            status=Payment.Status.REFUNDED, refunded_at=now, updated_at=now
        )
    Payment.objects.filter(pk=payment.pk, refunded_amount__lt=refunded_amount).update(
        refunded_amount=refunded_amount, updated_at=now
    )
    return "marked_refunded" if charge.get("refunded") else "partial_refund_recorded"


def _on_dispute(event: ProviderEvent, intent_id: str) -> str:
    # The bank took the money back (frozen until the dispute is decided): the payment keeps
    # its status, the dispute is kept for support; checkout voids the tickets.
    dispute = event.data_object
    payment = Payment.objects.filter(intent_id=intent_id).first()
    if payment is None:
        return "unknown_intent"
    Payment.objects.filter(pk=payment.pk).update(
        provider_response={**payment.provider_response, "last_dispute": dispute},
        updated_at=timezone.now(),
    )
    if event.type == "charge.dispute.closed":
        return f"dispute_closed:{str(dispute.get('status') or 'unknown')[:32]}"
    return "dispute_opened"


_EVENT_HANDLERS = {
    "payment_intent.payment_failed": _on_intent_failed,
    "payment_intent.processing": _on_intent_processing,
    "charge.refunded": _on_charge_refunded,
    "charge.dispute.created": _on_dispute,
    "charge.dispute.closed": _on_dispute,
}


# --- The fake provider ----------------------------------------------------------------------


def fake_payment_charge(*, payment_intent_id: str, card_number: str) -> ProviderEvent:
    """Charge a fake intent with a test card (only when PAYMENT_PROVIDER=fake) and return
    the event the fake provider "sends": payment_intent.succeeded (one id per intent, so
    paying a succeeded intent again is a duplicate) or payment_intent.payment_failed.
    The checkout app hands the event to the same handler as Stripe's webhook.
    Raises FakeProviderDisabled / NotFound (404) for another provider or an unknown intent.
    """
    if settings.PAYMENT_PROVIDER != Payment.Provider.FAKE:
        raise FakeProviderDisabled()
    from .providers.fake_provider import FakeProvider

    payment = Payment.objects.filter(
        intent_id=str(payment_intent_id), provider=Payment.Provider.FAKE
    ).first()
    if payment is None:
        raise NotFound("No such payment.")
    provider = get_provider(Payment.Provider.FAKE)
    if not isinstance(provider, FakeProvider):  # pragma: no cover - configuration error
        raise FakeProviderDisabled()
    intent: ProviderIntent = _provider_call(
        provider.intent_pay, intent_id=payment.intent_id, card_number=card_number
    )
    if intent.status == "succeeded":
        event_id, event_type = f"evt_fake_{intent.id}_succeeded", "payment_intent.succeeded"
    else:
        event_id, event_type = f"evt_fake_{secrets.token_hex(12)}", "payment_intent.payment_failed"
    return ProviderEvent(
        id=event_id,
        type=event_type,
        data_object=intent.raw,
        raw={"id": event_id, "type": event_type, "data": {"object": intent.raw}},
    )
