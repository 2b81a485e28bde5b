"""The fake provider: Stripe's test cards without Stripe, and its production guard."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from bookings.models import Booking
from checkout import services as checkout_services
from config.api import status_for_error
from payments import services
from payments.errors import CardDeclined, FakeProviderDisabled
from payments.models import FakeProviderIntent, Payment, ProcessedWebhookEvent
from payments.providers import get_provider
from payments.providers.fake_provider import FakeProvider

from .conftest import requires_booking_confirm

pytestmark = pytest.mark.django_db

SUCCESS = "4242424242424242"
DECLINE = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"


@pytest.fixture
def fake_payment(booking) -> Payment:
    return services.payment_intent_create(booking=booking)


def test_intent_is_created_once_per_booking(booking):
    first = services.payment_intent_create(booking=booking)
    second = services.payment_intent_create(booking=booking)

    assert first.pk == second.pk
    assert first.provider == "fake"
    assert first.intent_id.startswith("pi_fake_")
    ledger = FakeProviderIntent.objects.get()
    assert ledger.amount_minor == 9800
    assert ledger.metadata == {"booking_id": str(booking.id), "reference": booking.reference}


def test_the_success_card_goes_through_the_succeeded_event_handler(fake_payment, confirm_spy):
    payment = checkout_services.fake_payment_pay(
        payment_intent_id=fake_payment.intent_id, card_number="4242 4242 4242 4242"
    )

    assert payment.status == Payment.Status.SUCCEEDED
    assert confirm_spy.calls == [(fake_payment.booking_id, fake_payment.intent_id)]
    event = ProcessedWebhookEvent.objects.get()
    assert event.event_type == "payment_intent.succeeded"
    assert event.provider == "fake"
    assert event.outcome == "booking_confirmed"


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [
        (DECLINE, "generic_decline"),
        (INSUFFICIENT_FUNDS, "insufficient_funds"),
        ("4000000000009987", "lost_card"),
        ("4000000000000069", "expired_card"),
        ("4000000000000127", "incorrect_cvc"),
        ("1234567812345678", "incorrect_number"),
    ],
)
def test_declining_cards_raise_card_declined_and_mark_the_payment_failed(
    fake_payment, confirm_spy, card, decline_code
):
    with pytest.raises(CardDeclined) as excinfo:
        checkout_services.fake_payment_pay(
            payment_intent_id=fake_payment.intent_id, card_number=card
        )

    assert status_for_error(excinfo.value) == 402
    assert excinfo.value.extra == {"decline_code": decline_code}
    fake_payment.refresh_from_db()
    assert fake_payment.status == Payment.Status.FAILED
    assert fake_payment.failure_code == decline_code
    assert confirm_spy.calls == []
    assert ProcessedWebhookEvent.objects.get().event_type == "payment_intent.payment_failed"


def test_a_declined_intent_can_be_paid_again_with_another_card(fake_payment, confirm_spy):
    with pytest.raises(CardDeclined):
        checkout_services.fake_payment_pay(
            payment_intent_id=fake_payment.intent_id, card_number=DECLINE
        )

    payment = checkout_services.fake_payment_pay(
        payment_intent_id=fake_payment.intent_id, card_number=SUCCESS
    )

    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.failure_code == ""
    assert len(confirm_spy.calls) == 1


def test_paying_a_succeeded_intent_again_is_a_no_op(fake_payment, confirm_spy):
    checkout_services.fake_payment_pay(
        payment_intent_id=fake_payment.intent_id, card_number=SUCCESS
    )
    again = checkout_services.fake_payment_pay(
        payment_intent_id=fake_payment.intent_id, card_number=DECLINE
    )

    assert again.status == Payment.Status.SUCCEEDED
    assert len(confirm_spy.calls) == 1
    assert ProcessedWebhookEvent.objects.count() == 1


def test_verification_reads_the_fake_ledger_not_our_payment_row(booking, fake_payment):
    from payments.errors import PaymentNotCompleted

    # Our row claims success, the provider's ledger does not: verification believes the provider.
    Payment.objects.filter(pk=fake_payment.pk).update(status=Payment.Status.SUCCEEDED)
    with pytest.raises(PaymentNotCompleted):
        services.payment_verify(booking=booking, payment_intent_id=fake_payment.intent_id)


def test_fake_refund_is_recorded_once(booking, fake_payment, confirm_spy):
    checkout_services.fake_payment_pay(
        payment_intent_id=fake_payment.intent_id, card_number=SUCCESS
    )

    first = services.payment_refund(booking=booking, reason="test")
    second = services.payment_refund(booking=booking, reason="test again")

    assert first.status == second.status == Payment.Status.REFUNDED
    assert first.refund_id == second.refund_id
    assert FakeProviderIntent.objects.get().amount_refunded_minor == 9800


def test_fake_pay_is_refused_when_the_provider_is_stripe(fake_payment, settings):
    settings.PAYMENT_PROVIDER = "stripe"
    with pytest.raises(FakeProviderDisabled):
        checkout_services.fake_payment_pay(
            payment_intent_id=fake_payment.intent_id, card_number=SUCCESS
        )


@requires_booking_confirm
def test_paying_with_the_success_card_confirms_the_booking_for_real(booking, fake_payment):
    checkout_services.fake_payment_pay(
        payment_intent_id=fake_payment.intent_id, card_number=SUCCESS
    )

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.tickets.count() == booking.quantity


@requires_booking_confirm
def test_a_payment_after_expiry_is_settled_by_bookings_and_still_recorded(booking, fake_payment):
    # The hold ran out after the intent was made; the fan pays anyway (Stripe would accept it).
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.EXPIRED)

    payment = checkout_services.fake_payment_pay(
        payment_intent_id=fake_payment.intent_id, card_number=SUCCESS
    )

    booking.refresh_from_db()
    payment.refresh_from_db()
    # Either the seats were still free (confirmed) or the money went back (refunded).
    assert (booking.status, payment.status) in {
        (Booking.Status.CONFIRMED, Payment.Status.SUCCEEDED),
        (Booking.Status.EXPIRED, Payment.Status.REFUNDED),
    }
    assert ProcessedWebhookEvent.objects.filter(event_type="payment_intent.succeeded").exists()


# --- the production guard -----------------------------------------------------------------


def test_the_fake_provider_refuses_to_exist_with_debug_off(settings):
    settings.DEBUG = False
    settings.PAYMENT_PROVIDER_FAKE_ALLOWED = False
    with pytest.raises(ImproperlyConfigured):
        FakeProvider()
    settings.PAYMENT_PROVIDER_FAKE_ALLOWED = True
    assert get_provider("fake").name == "fake"


def _start_django(**env_overrides: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PAYMENT_", "DEBUG", "PYTEST", "DJANGO_SETTINGS"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "-c4@&j+i1lkz_h1%t49qe(xc)jt^z*q@bfv#8b2c(ao%2y&zu#",
            "ALLOWED_HOSTS": "example.com",
            "REDIS_URL": django_settings.REDIS_URL,
            **env_overrides,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=Path(django_settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_with_the_fake_provider():
    result = _start_django(PAYMENT_PROVIDER="fake")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "fake payment provider" in result.stderr


def test_production_starts_with_the_fake_provider_when_explicitly_allowed():
    result = _start_django(PAYMENT_PROVIDER="fake", PAYMENT_PROVIDER_FAKE_ALLOWED="1")
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_production_starts_with_stripe():
    result = _start_django(
        PAYMENT_PROVIDER="stripe",
        STRIPE_SECRET_KEY="sk_test_x",
        STRIPE_PUBLISHABLE_KEY="pk_test_x",
        STRIPE_WEBHOOK_SECRET="whsec_x",
    )
    assert result.returncode == 0, result.stderr
