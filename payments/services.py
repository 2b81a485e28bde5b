"""Payments: intents per booking, verification with the provider, refunds, provider events.

Every money fact comes from the provider (Stripe, or the fake provider's ledger), never from
the client. Provider events are handled exactly once (ProcessedWebhookEvent), and a payment's
status only moves forward: requires_payment/failed/processing -> succeeded -> refunded, so a
late or replayed event cannot undo a success or a refund.

The only call back into bookings is `bookings.services.booking_confirm`, from the
payment-succeeded handler (shared by the Stripe webhook and the fake provider's pay route).
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.api import DomainError, NotFound

from .errors import (
    BadSignature,
    BookingNotPending,
    CardDeclined,
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

if TYPE_CHECKING:
    from bookings.models import Booking

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


def intent_idempotency_key(booking: Booking) -> str:
    # The reference too: a booking id alone repeats after a database reset, and Stripe
    # rejects a key reused with different parameters for 24 hours.
    return f"booking-{booking.id}-{booking.reference}-intent"


def refund_idempotency_key(booking: Booking) -> str:
    return f"booking-{booking.id}-{booking.reference}-refund"


def _provider_call(call, *args: Any, **kwargs: Any):
    try:
        return call(*args, **kwargs)
    except ProviderRequestError as exc:
        logger.warning("Payment provider request failed: %s", exc)
        raise PaymentProviderError() from exc


# --- Intents ------------------------------------------------------------------------------


def payment_intent_create(*, booking: Booking) -> Payment:
    """The booking's payment intent: created once, then the same one again.

    Refuses a booking that is not pending or whose hold has run out (BookingNotPending).
    Idempotent under concurrency: the provider call carries a key derived from the booking
    (Stripe answers the same intent), and a unique (booking, provider) row settles the race.
    Raises PaymentProviderError when the provider cannot be reached.
    """
    from bookings.models import Booking as BookingModel

    if booking.status != BookingModel.Status.PENDING:
        raise BookingNotPending()
    provider = get_provider()
    existing = Payment.objects.filter(booking=booking, provider=provider.name).first()
    if existing is not None:
        return existing
    if booking.expires_at <= timezone.now():
        raise BookingNotPending(MSG_HOLD_EXPIRED)

    intent: ProviderIntent = _provider_call(
        provider.intent_create,
        amount_minor=to_minor_units(booking.total_amount, booking.currency),
        currency=booking.currency.lower(),
        metadata={"booking_id": str(booking.id), "reference": booking.reference},
        idempotency_key=intent_idempotency_key(booking),
        description=f"boxoffice booking {booking.reference}",
    )
    try:
        with transaction.atomic():
            return Payment.objects.create(
                booking=booking,
                provider=provider.name,
                intent_id=intent.id,
                client_secret=intent.client_secret,
                amount=booking.total_amount,
                currency=booking.currency.lower(),
                provider_response=intent.raw,
            )
    except IntegrityError:
        # A concurrent request for the same booking stored the (same) intent first.
        return Payment.objects.get(booking=booking, provider=provider.name)


def payment_verify(*, booking: Booking, payment_intent_id: str) -> Payment:
    """Ask the provider whether this booking's payment really succeeded.

    Checks the intent belongs to one of our payments for this booking, and the provider's
    answer: status succeeded, amount (minor units) and currency equal the booking's, and
    metadata booking_id is this booking. Records the answer and marks the payment
    succeeded. Raises PaymentNotCompleted (402) on any mismatch, on a refunded payment, or
    an unknown intent; PaymentProviderError (502) when the provider cannot be reached.
    """
    payment = Payment.objects.filter(
        intent_id=str(payment_intent_id), booking_id=booking.id
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
    if intent.metadata.get("booking_id") != str(booking.id):
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


def payment_refund(*, booking: Booking, reason: str) -> Payment:
    """Refund the booking's succeeded payment in full, through its provider.

    Safe to repeat: a refunded payment is returned as it is, the row is locked while the
    provider is asked, and the provider call carries a key derived from the booking.
    Raises PaymentNotRefundable (409) when the booking has no succeeded payment, and
    PaymentProviderError (502) when the provider refuses or cannot be reached.
    """
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(
                booking_id=booking.id,
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
        payment.status = Payment.Status.REFUNDED
        payment.refund_id = refund.id
        payment.refund_status = refund.status
        payment.refund_reason = reason[:255]
        payment.refunded_amount = from_minor_units(refund.amount_minor, payment.currency)
        payment.refunded_at = now
        payment.provider_response = {**payment.provider_response, "last_refund": refund.raw}
        payment.save()
    logger.info("Refunded %s for booking %s: %s", payment.intent_id, booking.reference, reason)
    return payment


# --- Provider events (Stripe webhooks and the fake provider's payments) ----------------------


def stripe_webhook_receive(*, payload: bytes, signature_header: str) -> str:
    """Verify a Stripe webhook over its raw body and handle it once. Raises BadSignature."""
    from .providers.stripe_provider import stripe_webhook_event_parse

    try:
        event = stripe_webhook_event_parse(payload=payload, signature_header=signature_header)
    except InvalidWebhookSignature as exc:
        logger.warning("Rejected a Stripe webhook: %s", exc)
        raise BadSignature() from exc
    return payment_event_handle(event=event, provider=Payment.Provider.STRIPE)


def payment_event_handle(*, event: ProviderEvent, provider: str) -> str:
    """Handle one provider event exactly once; returns what happened (also recorded).

    The event id is recorded in the same transaction as its effects: a replay, or a
    duplicate delivered concurrently (it waits on the unique index), changes nothing.
    An unexpected error rolls everything back so the provider delivers the event again.
    """
    intent_id = _event_intent_id(event)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ProcessedWebhookEvent.objects.create(
                    event_id=event.id,
                    event_type=event.type[:64],
                    provider=provider,
                    intent_id=intent_id[:255],
                )
        except IntegrityError:
            logger.info("Provider event %s already handled", event.id)
            return "duplicate"
        handler = _EVENT_HANDLERS.get(event.type)
        outcome = handler(event, intent_id) if handler else "ignored"
        record.outcome = outcome[:255]
        record.save(update_fields=["outcome"])
    return outcome


def _event_intent_id(event: ProviderEvent) -> str:
    obj = event.data_object
    if obj.get("object") == "payment_intent" or event.type.startswith("payment_intent."):
        return str(obj.get("id") or "")
    return str(obj.get("payment_intent") or "")


def _on_intent_succeeded(event: ProviderEvent, intent_id: str) -> str:
    payment = Payment.objects.filter(intent_id=intent_id).first()
    if payment is None:
        return "unknown_intent"
    _mark_succeeded(payment.pk, provider_response=event.data_object)
    payment.refresh_from_db(fields=["status"])
    if payment.status == Payment.Status.REFUNDED:
        return "already_refunded"

    from bookings.services import booking_confirm

    try:
        # No savepoint of ours around it: booking_confirm keeps what it must keep (a refund
        # of a late payment, recorded) before it raises, and that must commit with the event.
        booking_confirm(booking_id=payment.booking_id, payment_intent_id=intent_id)
    except PaymentProviderError:
        raise  # transient: roll back so the event is delivered (or paid) again
    except DomainError as exc:
        # The money is recorded; the booking said no (e.g. expired and refunded). Answering
        # an error would only make Stripe retry an event that cannot succeed.
        logger.warning(
            "Payment %s succeeded but booking %s was not confirmed: %s (%s)",
            intent_id,
            payment.booking_id,
            exc.detail,
            exc.code,
        )
        return f"booking_not_confirmed:{exc.code}"
    return "booking_confirmed"


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


_EVENT_HANDLERS = {
    "payment_intent.succeeded": _on_intent_succeeded,
    "payment_intent.payment_failed": _on_intent_failed,
    "payment_intent.processing": _on_intent_processing,
    "charge.refunded": _on_charge_refunded,
}


# --- The fake provider ----------------------------------------------------------------------


def fake_payment_pay(*, payment_intent_id: str, card_number: str) -> Payment:
    """Pay a fake intent with a test card (only when PAYMENT_PROVIDER=fake).

    Success becomes a payment_intent.succeeded event through payment_event_handle, the same
    handler as Stripe's webhook (so it confirms the booking); paying a succeeded intent
    again is a no-op. A decline becomes payment_intent.payment_failed, then raises
    CardDeclined (402) with the decline code; the same intent can be paid again.
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
    provider = FakeProvider()
    intent = _provider_call(
        provider.intent_pay, intent_id=payment.intent_id, card_number=card_number
    )
    if intent.status == "succeeded":
        # One id per intent: paying a succeeded intent again is a duplicate event.
        event_id, event_type = f"evt_fake_{intent.id}_succeeded", "payment_intent.succeeded"
    else:
        event_id, event_type = f"evt_fake_{secrets.token_hex(12)}", "payment_intent.payment_failed"
    event = ProviderEvent(
        id=event_id,
        type=event_type,
        data_object=intent.raw,
        raw={"id": event_id, "type": event_type, "data": {"object": intent.raw}},
    )
    payment_event_handle(event=event, provider=Payment.Provider.FAKE)
    payment.refresh_from_db()
    if intent.status != "succeeded":
        raise CardDeclined(
            intent.failure_message or CardDeclined.default_message,
            decline_code=intent.failure_code,
        )
    return payment
