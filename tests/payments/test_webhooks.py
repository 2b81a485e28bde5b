"""Stripe webhooks: verified over the raw body, each event handled exactly once."""

from __future__ import annotations

import json
import time

import pytest

from bookings import services as booking_services
from bookings.errors import TicketVoid
from bookings.models import Booking, Ticket
from checkout import services as checkout_services
from config.errors import DomainError
from payments import services
from payments.models import Payment, ProcessedWebhookEvent

from .conftest import (
    booking_confirm_available,
    intent_body,
    requires_booking_confirm,
    stripe_event,
    stripe_signature,
    stub_intent_create,
    stub_intent_retrieve,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]


@pytest.fixture
def stripe_payment(stripe_http, booking) -> Payment:
    stub_intent_create(stripe_http, booking=booking)
    return services.payment_intent_create(booking=booking)


def _succeeded(booking, event_id="evt_ok_1") -> str:
    return stripe_event(
        "payment_intent.succeeded",
        intent_body(booking=booking, status="succeeded"),
        event_id=event_id,
    )


def _failed(booking, event_id="evt_fail_1") -> str:
    error = {"code": "card_declined", "decline_code": "insufficient_funds", "message": "No funds."}
    return stripe_event(
        "payment_intent.payment_failed",
        intent_body(booking=booking, last_payment_error=error),
        event_id=event_id,
    )


def _refunded(event_id="evt_refund_1", *, refunded=True, amount_refunded=9800) -> str:
    charge = {
        "id": "ch_test_1",
        "object": "charge",
        "amount": 9800,
        "amount_refunded": amount_refunded,
        "currency": "usd",
        "payment_intent": "pi_test_123",
        "refunded": refunded,
    }
    return stripe_event("charge.refunded", charge, event_id=event_id)


# --- signatures ---------------------------------------------------------------------------


def test_a_validly_signed_event_is_accepted_and_recorded(post_webhook, stripe_payment, booking):
    response = post_webhook(_failed(booking))

    assert response.status_code == 200
    assert response.json()["received"] is True
    assert ProcessedWebhookEvent.objects.filter(event_id="evt_fail_1").exists()


def test_the_sdk_signature_helper_agrees_with_our_signing(post_webhook, stripe_payment, booking):
    import stripe

    payload = _failed(booking)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, "whsec_test_boxoffice_secret"
    )
    assert post_webhook(payload, signature=header).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "stale", "ancient", "tampered_body", "no_header", "garbage_header"],
)
def test_a_bad_signature_is_refused_and_changes_nothing(
    post_webhook, stripe_payment, booking, tamper
):
    payload = _failed(booking)
    if tamper == "wrong_secret":
        response = post_webhook(payload, secret="whsec_someone_else")
    elif tamper == "stale":
        response = post_webhook(payload, timestamp=int(time.time()) - 301)
    elif tamper == "ancient":
        response = post_webhook(payload, signature=stripe_signature(payload, timestamp=0))
    elif tamper == "tampered_body":
        header = stripe_signature(payload)
        response = post_webhook(
            payload.replace("insufficient_funds", "generic_decline"), signature=header
        )
    elif tamper == "no_header":
        response = post_webhook(payload, signature="")
    else:
        response = post_webhook(payload, signature="t=abc,v1=")

    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"
    assert not ProcessedWebhookEvent.objects.exists()
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == Payment.Status.REQUIRES_PAYMENT


def test_a_body_that_is_not_utf8_is_a_bad_signature_not_a_500(api_client, stripe_settings):
    response = api_client.post(
        "/api/v1/payment/webhook/stripe/",
        data=b"\xff\xfe\x00garbage",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=00",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_signature"


def test_without_a_webhook_secret_nothing_verifies(post_webhook, settings, booking):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = post_webhook(_failed(booking), secret="")
    assert response.status_code == 400


def test_the_webhook_needs_no_auth_and_no_csrf(stripe_payment, booking, stripe_settings):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    payload = _failed(booking)
    response = client.post(
        "/api/v1/payment/webhook/stripe",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(payload),
    )
    assert response.status_code == 200


# --- event handling -----------------------------------------------------------------------


def test_payment_failed_marks_the_payment_failed(post_webhook, stripe_payment, booking):
    post_webhook(_failed(booking))

    stripe_payment.refresh_from_db()
    assert stripe_payment.status == Payment.Status.FAILED
    assert stripe_payment.failure_code == "insufficient_funds"
    assert stripe_payment.failure_message == "No funds."


def test_succeeded_event_hands_the_booking_to_booking_confirm(
    post_webhook, stripe_payment, booking, confirm_spy
):
    response = post_webhook(_succeeded(booking))

    assert response.status_code == 200
    assert response.json()["outcome"] == "booking_confirmed"
    assert confirm_spy.calls == [(booking.id, "pi_test_123")]
    stripe_payment.refresh_from_db()
    # Succeeded because booking_confirm's verification said so (the spy stands in for it).
    assert stripe_payment.status == Payment.Status.SUCCEEDED


def test_a_replayed_event_changes_nothing(post_webhook, stripe_payment, booking, confirm_spy):
    payload = _succeeded(booking)
    assert post_webhook(payload).status_code == 200
    # A few seconds later Stripe delivers the very same event again (new signature).
    replay = post_webhook(payload, timestamp=int(time.time()) + 1)

    assert replay.status_code == 200
    assert replay.json()["outcome"] == "duplicate"
    assert len(confirm_spy.calls) == 1
    assert ProcessedWebhookEvent.objects.count() == 1


def test_a_late_payment_failed_does_not_downgrade_a_success(
    post_webhook, stripe_payment, booking, confirm_spy
):
    post_webhook(_succeeded(booking))
    response = post_webhook(_failed(booking, event_id="evt_fail_late"))

    assert response.json()["outcome"] == "no_change"
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == Payment.Status.SUCCEEDED


def test_charge_refunded_marks_the_payment_refunded(
    post_webhook, stripe_payment, booking, confirm_spy
):
    post_webhook(_succeeded(booking))
    post_webhook(_refunded())

    stripe_payment.refresh_from_db()
    assert stripe_payment.status == Payment.Status.REFUNDED
    assert str(stripe_payment.refunded_amount) == "98.00"
    assert stripe_payment.refunded_at is not None


def test_a_partial_refund_is_recorded_without_marking_refunded(
    post_webhook, stripe_payment, booking, confirm_spy
):
    post_webhook(_succeeded(booking))
    post_webhook(_refunded(refunded=False, amount_refunded=4900))

    stripe_payment.refresh_from_db()
    assert stripe_payment.status == Payment.Status.SUCCEEDED
    assert str(stripe_payment.refunded_amount) == "49.00"


def test_a_success_arriving_after_its_refund_confirms_nothing(
    post_webhook, stripe_payment, booking, confirm_spy
):
    post_webhook(_refunded())
    response = post_webhook(_succeeded(booking))

    assert response.json()["outcome"] == "already_refunded"
    assert confirm_spy.calls == []
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == Payment.Status.REFUNDED


def test_a_domain_error_from_booking_confirm_is_logged_and_answered_200(
    post_webhook, stripe_payment, booking, confirm_spy, caplog
):
    class BookingExpired(DomainError):
        code = "booking_expired"

    confirm_spy.raises = BookingExpired("expired and refunded")

    response = post_webhook(_succeeded(booking))

    assert response.status_code == 200
    assert response.json()["outcome"] == "booking_not_confirmed:booking_expired"
    assert "was not confirmed" in caplog.text
    event = ProcessedWebhookEvent.objects.get(event_id="evt_ok_1")
    assert event.outcome == "booking_not_confirmed:booking_expired"


def test_a_provider_outage_during_confirm_is_retried_by_stripe(
    post_webhook, stripe_payment, booking, confirm_spy
):
    from payments.errors import PaymentProviderError

    confirm_spy.raises = PaymentProviderError()

    response = post_webhook(_succeeded(booking))

    assert response.status_code == 502
    # Nothing recorded: Stripe's next delivery of the same event is handled in full.
    assert not ProcessedWebhookEvent.objects.exists()


def test_events_for_unknown_intents_and_types_are_acknowledged(post_webhook, confirm_spy):
    unknown = stripe_event(
        "payment_intent.succeeded", intent_body(intent_id="pi_elsewhere", metadata={})
    )
    other = stripe_event("customer.created", {"id": "cus_1", "object": "customer"}, event_id="e2")

    assert post_webhook(unknown).json()["outcome"] == "unknown_intent"
    assert post_webhook(other).json()["outcome"] == "ignored"
    assert confirm_spy.calls == []


@requires_booking_confirm
def test_succeeded_webhook_confirms_the_booking_for_real(
    post_webhook, stripe_http, stripe_payment, booking
):
    # booking_confirm asks Stripe again (payment_verify): the answer says succeeded.
    stub_intent_retrieve(stripe_http, booking=booking, status="succeeded")

    response = post_webhook(_succeeded(booking))

    assert response.status_code == 200, response.content
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.tickets.count() == booking.quantity
    assert json.loads(response.content)["outcome"] == "booking_confirmed"


# --- the event's word is checked against Stripe's API -------------------------------------


@pytest.mark.parametrize(
    ("api_answer", "reason"),
    [
        ({"status": "requires_payment_method"}, "unpaid"),
        ({"status": "succeeded", "amount": 100}, "wrong amount"),
        ({"status": "succeeded", "currency": "eur"}, "wrong currency"),
    ],
)
@requires_booking_confirm
def test_a_signed_success_that_the_api_contradicts_changes_nothing(
    post_webhook, stripe_http, stripe_payment, booking, api_answer, reason
):
    stub_intent_retrieve(stripe_http, booking=booking, **api_answer)

    response = post_webhook(_succeeded(booking))

    assert response.status_code == 200  # answered, so Stripe does not retry a lie
    assert response.json()["outcome"] == "booking_not_confirmed:payment_not_completed", reason
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == Payment.Status.REQUIRES_PAYMENT
    assert stripe_payment.succeeded_at is None
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING
    assert not booking.tickets.exists()
    event = ProcessedWebhookEvent.objects.get(event_id="evt_ok_1")
    assert event.outcome == "booking_not_confirmed:payment_not_completed"


# --- refunds and disputes made outside the box office -------------------------------------


def _dispute(
    event_type="charge.dispute.created", *, event_id="evt_dispute_1", status="needs_response"
):
    dispute = {
        "id": "dp_test_1",
        "object": "dispute",
        "amount": 9800,
        "currency": "usd",
        "charge": "ch_test_1",
        "payment_intent": "pi_test_123",
        "reason": "fraudulent",
        "status": status,
    }
    return stripe_event(event_type, dispute, event_id=event_id)


@pytest.fixture
def confirmed_by_stripe(post_webhook, stripe_http, stripe_payment, booking):
    """The booking paid and confirmed through the real webhook path (Stripe's API agrees)."""
    if not booking_confirm_available():
        pytest.skip("checkout.services.booking_confirm not importable")
    stub_intent_retrieve(stripe_http, booking=booking, status="succeeded")
    assert post_webhook(_succeeded(booking)).json()["outcome"] == "booking_confirmed"
    booking.refresh_from_db()
    booking.category.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    return booking


def test_a_refund_made_in_stripe_voids_the_tickets_and_returns_the_seats(
    post_webhook, confirmed_by_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    booking = confirmed_by_stripe
    seats_before = booking.category.available_seats
    codes = list(booking.tickets.values_list("code", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(_refunded())

    assert response.json()["outcome"] == "marked_refunded:booking_cancelled"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.refunded_at is not None
    assert booking.refund_reason == checkout_services.REFUND_OUTSIDE
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.VOID}
    booking.category.refresh_from_db()
    assert booking.category.available_seats == seats_before + booking.quantity
    with pytest.raises(TicketVoid):
        booking_services.ticket_check_in(code=codes[0])
    assert [message.to for message in mailoutbox] == [[booking.user.email]]
    assert booking.reference in mailoutbox[0].subject
    assert ProcessedWebhookEvent.objects.get(event_id="evt_refund_1").outcome == (
        "marked_refunded:booking_cancelled"
    )


def test_a_refund_after_a_ticket_was_used_flags_the_booking_and_keeps_the_seats_sold(
    post_webhook, confirmed_by_stripe
):
    booking = confirmed_by_stripe
    used, unused = booking.tickets.order_by("pk")
    booking_services.ticket_check_in(code=used.code)
    seats_before = booking.category.available_seats

    response = post_webhook(_refunded())

    assert response.json()["outcome"] == "marked_refunded:booking_flagged"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED  # its seats stay counted as sold
    assert booking.attention_reason
    unused.refresh_from_db()
    assert unused.status == Ticket.Status.VOID
    booking.category.refresh_from_db()
    assert booking.category.available_seats == seats_before
    assert Booking.objects.exclude(attention_reason="").get() == booking  # the admin's filter


def test_a_partial_refund_in_stripe_only_records_the_amount(post_webhook, confirmed_by_stripe):
    booking = confirmed_by_stripe

    response = post_webhook(_refunded(refunded=False, amount_refunded=4900))

    assert response.json()["outcome"] == "partial_refund_recorded"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.VALID}


def test_a_dispute_voids_the_tickets_at_once_and_flags_the_booking(
    post_webhook, confirmed_by_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    booking = confirmed_by_stripe
    seats_before = booking.category.available_seats

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(_dispute())

    assert response.json()["outcome"] == "dispute_opened:booking_cancelled"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert "dp_test_1" in booking.attention_reason
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.VOID}
    booking.category.refresh_from_db()
    assert booking.category.available_seats == seats_before + booking.quantity
    assert mailoutbox == []  # the fan went to their bank; staff answer the dispute

    closed = post_webhook(
        _dispute("charge.dispute.closed", event_id="evt_dispute_2", status="lost")
    )

    assert closed.json()["outcome"] == "dispute_closed:lost:booking_flagged"
    booking.refresh_from_db()
    assert "lost" in booking.attention_reason
    assert "dp_test_1" in booking.attention_reason


def test_our_own_refund_coming_back_as_an_event_changes_nothing(
    post_webhook, confirmed_by_stripe, stripe_http
):
    booking = confirmed_by_stripe
    stripe_http.add(
        "POST",
        "https://api.stripe.com/v1/refunds",
        json={"id": "re_1", "object": "refund", "amount": 9800, "status": "succeeded"},
    )
    checkout_services.booking_cancel_confirmed(booking_id=booking.pk)
    booking.category.refresh_from_db()
    seats_after_cancel = booking.category.available_seats

    response = post_webhook(_refunded())

    assert response.json()["outcome"] == "marked_refunded:booking_unchanged"
    booking.category.refresh_from_db()
    assert booking.category.available_seats == seats_after_cancel  # not returned twice
