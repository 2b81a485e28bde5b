"""Payments admin: read-only, linked to bookings, refunds through the provider."""

from __future__ import annotations

import pytest
from django.urls import reverse

from checkout import services as checkout_services
from payments import services
from payments.models import Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def paid(booking, confirm_spy) -> Payment:
    payment = services.payment_intent_create(booking=booking)
    return checkout_services.fake_payment_pay(
        payment_intent_id=payment.intent_id, card_number="4242424242424242"
    )


def test_payments_list_and_detail_are_read_only_and_link_the_booking(admin_client, paid):
    listing = admin_client.get(reverse("admin:payments_payment_changelist"))
    assert listing.status_code == 200
    assert paid.booking.reference in listing.content.decode()

    detail = admin_client.get(reverse("admin:payments_payment_change", args=[paid.pk]))
    html = detail.content.decode()
    assert detail.status_code == 200
    assert reverse("admin:bookings_booking_change", args=[paid.booking_id]) in html
    assert paid.client_secret not in html
    assert 'name="_save"' not in html
    assert admin_client.get(reverse("admin:payments_payment_add")).status_code == 403


def test_refund_action_goes_through_the_provider(admin_client, paid):
    response = admin_client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "refund_payments", "_selected_action": [paid.pk]},
        follow=True,
    )
    assert response.status_code == 200
    paid.refresh_from_db()
    assert paid.status == Payment.Status.REFUNDED
    assert paid.refund_id.startswith("re_fake_")
    assert "staff@example.com" in paid.refund_reason


def test_refund_action_leaves_confirmed_bookings_to_the_bookings_admin(admin_client, paid):
    type(paid.booking).objects.filter(pk=paid.booking_id).update(status="confirmed")
    response = admin_client.post(
        reverse("admin:payments_payment_changelist"),
        {"action": "refund_payments", "_selected_action": [paid.pk]},
        follow=True,
    )
    assert "bookings admin" in response.content.decode()
    paid.refresh_from_db()
    assert paid.status == Payment.Status.SUCCEEDED
