"""Payments fixtures: bookings to pay, Stripe settings, HTTP stubbed at the network edge."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import types
from decimal import Decimal

import pytest
import responses
from django.db import transaction

from bookings.models import Booking
from payments.models import Payment
from tests.factories import BookingFactory

STRIPE_API = "https://api.stripe.com"
WEBHOOK_SECRET = "whsec_test_boxoffice_secret"


def booking_confirm_available() -> bool:
    """checkout.services.booking_confirm settles a booking paid for real; the end-to-end
    tests below use it (production code never stubs it)."""
    try:
        from checkout.services import booking_confirm  # noqa: F401
    except ImportError:
        return False
    return True


requires_booking_confirm = pytest.mark.skipif(
    not booking_confirm_available(), reason="checkout.services.booking_confirm not importable"
)


@pytest.fixture
def booking(user) -> Booking:
    """A pending booking of `user`: 2 x 49.00 usd = 98.00 usd, held for 10 minutes."""
    return BookingFactory(user=user, quantity=2, category__price=Decimal("49.00"))


@pytest.fixture
def stripe_settings(settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_boxoffice"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_boxoffice"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return settings


@pytest.fixture
def stripe_http():
    """Every HTTP request the Stripe SDK makes goes to these stubs; an unstubbed one fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def intent_body(
    *,
    intent_id: str = "pi_test_123",
    booking: Booking | None = None,
    amount: int = 9800,
    currency: str = "usd",
    status: str = "requires_payment_method",
    metadata: dict | None = None,
    last_payment_error: dict | None = None,
) -> dict:
    if metadata is None:
        metadata = (
            {"booking_id": str(booking.id), "reference": booking.reference} if booking else {}
        )
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": currency,
        "status": status,
        "client_secret": f"{intent_id}_secret_abc",
        "metadata": metadata,
        "last_payment_error": last_payment_error,
        "livemode": False,
    }


def stub_intent_create(stripe_http, **kwargs) -> dict:
    body = intent_body(**kwargs)
    stripe_http.add(responses.POST, f"{STRIPE_API}/v1/payment_intents", json=body)
    return body


def stub_intent_retrieve(stripe_http, **kwargs) -> dict:
    body = intent_body(**kwargs)
    stripe_http.add(responses.GET, f"{STRIPE_API}/v1/payment_intents/{body['id']}", json=body)
    return body


def stripe_signature(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """Stripe's scheme, written out: t=<unix time>,v1=HMAC-SHA256(secret, f"{t}.{payload}")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def stripe_event(event_type: str, obj: dict, *, event_id: str = "evt_test_1") -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
        }
    )


@pytest.fixture
def post_webhook(api_client, stripe_settings):
    def post(payload: str, *, signature: str | None = None, **sign_kwargs):
        header = signature if signature is not None else stripe_signature(payload, **sign_kwargs)
        return api_client.post(
            "/api/v1/payment/webhook/stripe",
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=header,
        )

    return post


@pytest.fixture
def confirm_spy(monkeypatch):
    """Stands in for checkout.services.booking_confirm in tests of the event handling only
    (what the handler passes on, what it does with the answer): the payment is marked
    succeeded as the real one's verification with the provider would, the booking is left
    as it is, the handler's `record` still runs in a transaction. `raises` makes it fail
    before anything changes (as a contradicted verification does)."""
    from checkout import services as checkout_services

    spy = types.SimpleNamespace(calls=[], raises=None)

    def booking_confirm(*, booking_id: int, payment_intent_id: str, record=None):
        spy.calls.append((booking_id, payment_intent_id))
        if spy.raises is not None:
            raise spy.raises
        Payment.objects.filter(
            intent_id=payment_intent_id,
            status__in=[Payment.Status.REQUIRES_PAYMENT, Payment.Status.FAILED],
        ).update(status=Payment.Status.SUCCEEDED, failure_code="", failure_message="")
        outcome = checkout_services.ConfirmOutcome(
            status=checkout_services.ConfirmStatus.CONFIRMED,
            booking=Booking.objects.get(pk=booking_id),
        )
        if record is not None:
            with transaction.atomic():
                record(outcome)
        return outcome

    monkeypatch.setattr(checkout_services, "booking_confirm", booking_confirm)
    return spy
