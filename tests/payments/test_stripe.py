"""The real Stripe SDK against HTTP stubbed at the network edge (responses)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import responses

from checkout import services as checkout_services
from config.api import status_for_error
from payments import services
from payments.errors import BookingNotPending, PaymentNotCompleted, PaymentNotRefundable
from payments.models import Payment
from tests.factories import BookingFactory

from .conftest import STRIPE_API, stub_intent_create, stub_intent_retrieve

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]


def _form(request) -> dict[str, list[str]]:
    return parse_qs(request.body if isinstance(request.body, str) else request.body.decode())


def test_intent_creation_sends_idempotency_key_minor_units_and_metadata(stripe_http, booking):
    stub_intent_create(stripe_http, booking=booking)

    payment = services.payment_intent_create(booking=booking)

    request = stripe_http.calls[0].request
    assert request.headers["Idempotency-Key"] == f"booking-{booking.id}-{booking.reference}-intent"
    assert request.headers["Authorization"] == "Bearer sk_test_boxoffice"
    form = _form(request)
    assert form["amount"] == ["9800"]
    assert form["currency"] == ["usd"]
    assert form["metadata[booking_id]"] == [str(booking.id)]
    assert form["metadata[reference]"] == [booking.reference]
    assert payment.intent_id == "pi_test_123"
    assert payment.client_secret == "pi_test_123_secret_abc"
    assert payment.amount == Decimal("98.00")
    assert payment.provider == "stripe"
    assert payment.status == Payment.Status.REQUIRES_PAYMENT
    assert payment.provider_response["id"] == "pi_test_123"


def test_zero_decimal_currency_is_sent_in_whole_units(stripe_http, user):
    booking = BookingFactory(
        user=user, quantity=1, category__price=Decimal("5000"), category__currency="jpy"
    )
    stub_intent_create(stripe_http, booking=booking, amount=5000, currency="jpy")

    services.payment_intent_create(booking=booking)

    assert _form(stripe_http.calls[0].request)["amount"] == ["5000"]


def test_three_decimal_currency_is_sent_in_thousandths(stripe_http, user):
    booking = BookingFactory(
        user=user, quantity=2, category__price=Decimal("12.50"), category__currency="kwd"
    )
    stub_intent_create(stripe_http, booking=booking, amount=25000, currency="kwd")

    payment = services.payment_intent_create(booking=booking)

    assert _form(stripe_http.calls[0].request)["amount"] == ["25000"]
    assert payment.amount == Decimal("25.00")


def test_checkout_asks_stripe_to_email_the_receipt_to_the_fan(stripe_http, booking):
    stub_intent_create(stripe_http, booking=booking)

    checkout_services.booking_payment_start(booking=booking)

    assert _form(stripe_http.calls[0].request)["receipt_email"] == [booking.user.email]


def test_no_receipt_email_is_sent_when_none_is_given(stripe_http, booking):
    stub_intent_create(stripe_http, booking=booking)

    services.payment_intent_create(booking=booking)

    assert "receipt_email" not in _form(stripe_http.calls[0].request)


def test_creating_the_intent_again_returns_the_same_one_without_asking_stripe(stripe_http, booking):
    stub_intent_create(stripe_http, booking=booking)

    first = services.payment_intent_create(booking=booking)
    second = services.payment_intent_create(booking=booking)

    assert first.pk == second.pk
    assert len(stripe_http.calls) == 1


def test_intent_for_a_booking_that_is_not_pending_is_refused(stripe_http, user):
    booking = BookingFactory(user=user, expired=True)
    with pytest.raises(BookingNotPending):
        checkout_services.booking_payment_start(booking=booking)
    assert len(stripe_http.calls) == 0


def test_intent_for_an_overdue_hold_is_refused(stripe_http, user):
    booking = BookingFactory(user=user, overdue=True)
    with pytest.raises(BookingNotPending):
        services.payment_intent_create(booking=booking)


@pytest.fixture
def stripe_payment(stripe_http, booking) -> Payment:
    stub_intent_create(stripe_http, booking=booking)
    return services.payment_intent_create(booking=booking)


def test_verification_accepts_a_succeeded_intent_for_the_booking(
    stripe_http, booking, stripe_payment
):
    stub_intent_retrieve(stripe_http, booking=booking, status="succeeded")

    payment = services.payment_verify(booking=booking, payment_intent_id="pi_test_123")

    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.succeeded_at is not None
    assert stripe_http.calls[-1].request.method == "GET"
    assert stripe_http.calls[-1].request.url == f"{STRIPE_API}/v1/payment_intents/pi_test_123"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"status": "requires_payment_method"}, "has not succeeded"),
        ({"status": "processing"}, "has not succeeded"),
        ({"status": "succeeded", "amount": 100}, services.MSG_WRONG_AMOUNT),
        ({"status": "succeeded", "currency": "eur"}, services.MSG_WRONG_CURRENCY),
        ({"status": "succeeded", "metadata": {"booking_id": "999999"}}, services.MSG_WRONG_BOOKING),
        ({"status": "succeeded", "metadata": {}}, services.MSG_WRONG_BOOKING),
    ],
    ids=[
        "not-paid",
        "processing",
        "wrong-amount",
        "wrong-currency",
        "other-booking",
        "no-metadata",
    ],
)
def test_verification_refuses_what_stripe_does_not_confirm(
    stripe_http, booking, stripe_payment, answer, message
):
    stub_intent_retrieve(stripe_http, booking=booking, **answer)

    with pytest.raises(PaymentNotCompleted) as excinfo:
        services.payment_verify(booking=booking, payment_intent_id="pi_test_123")

    assert message in excinfo.value.message
    assert status_for_error(excinfo.value) == 402
    assert excinfo.value.code == "payment_not_completed"
    stripe_payment.refresh_from_db()
    assert stripe_payment.status == Payment.Status.REQUIRES_PAYMENT


def test_verification_refuses_an_intent_of_another_booking(
    stripe_http, booking, make_user, stripe_payment
):
    other = BookingFactory(user=make_user())
    with pytest.raises(PaymentNotCompleted, match="belongs to this booking"):
        services.payment_verify(booking=other, payment_intent_id="pi_test_123")
    assert len(stripe_http.calls) == 1  # only the creation: nothing to ask Stripe


def test_verification_refuses_a_refunded_payment(stripe_http, booking, stripe_payment):
    Payment.objects.filter(pk=stripe_payment.pk).update(status=Payment.Status.REFUNDED)
    with pytest.raises(PaymentNotCompleted, match="refunded"):
        services.payment_verify(booking=booking, payment_intent_id="pi_test_123")


def _stub_refund(stripe_http, *, status="succeeded"):
    stripe_http.add(
        responses.POST,
        f"{STRIPE_API}/v1/refunds",
        json={
            "id": "re_test_1",
            "object": "refund",
            "amount": 9800,
            "currency": "usd",
            "payment_intent": "pi_test_123",
            "status": status,
        },
    )


def test_refund_goes_through_stripe_with_an_idempotency_key_and_is_recorded(
    stripe_http, booking, stripe_payment
):
    stub_intent_retrieve(stripe_http, booking=booking, status="succeeded")
    services.payment_verify(booking=booking, payment_intent_id="pi_test_123")
    _stub_refund(stripe_http)

    payment = services.payment_refund(booking=booking, reason="Paid after the hold expired.")

    request = stripe_http.calls[-1].request
    assert request.url == f"{STRIPE_API}/v1/refunds"
    assert request.headers["Idempotency-Key"] == f"booking-{booking.id}-{booking.reference}-refund"
    form = _form(request)
    assert form["payment_intent"] == ["pi_test_123"]
    assert form["amount"] == ["9800"]
    assert form["metadata[reason]"] == ["Paid after the hold expired."]
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refund_id == "re_test_1"
    assert payment.refunded_amount == Decimal("98.00")
    assert payment.refund_reason == "Paid after the hold expired."


def test_refunding_twice_asks_stripe_once(stripe_http, booking, stripe_payment):
    stub_intent_retrieve(stripe_http, booking=booking, status="succeeded")
    services.payment_verify(booking=booking, payment_intent_id="pi_test_123")
    _stub_refund(stripe_http)

    services.payment_refund(booking=booking, reason="first")
    again = services.payment_refund(booking=booking, reason="second")

    assert again.refund_reason == "first"
    assert sum(call.request.url.endswith("/v1/refunds") for call in stripe_http.calls) == 1


def test_refund_without_a_succeeded_payment_is_refused(stripe_http, booking, stripe_payment):
    with pytest.raises(PaymentNotRefundable):
        services.payment_refund(booking=booking, reason="nothing to refund")
    assert not any(call.request.url.endswith("/v1/refunds") for call in stripe_http.calls)


def test_a_stripe_error_becomes_a_clean_provider_error(stripe_http, booking):
    stripe_http.add(
        responses.POST,
        f"{STRIPE_API}/v1/payment_intents",
        status=400,
        json={"error": {"type": "invalid_request_error", "message": "Amount too small"}},
    )
    from payments.errors import PaymentProviderError

    with pytest.raises(PaymentProviderError):
        services.payment_intent_create(booking=booking)
    assert not Payment.objects.exists()
