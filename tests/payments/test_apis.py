"""Payments API routes, as the contract pins them."""

from __future__ import annotations

import pytest

from payments.models import Payment
from tests.factories import BookingFactory

from .conftest import requires_booking_confirm, stub_intent_create

pytestmark = pytest.mark.django_db

SUCCESS = "4242424242424242"
DECLINE = "4000000000000002"


def test_pub_key_answers_anyone_with_the_fake_provider(api_client):
    response = api_client.get("/api/v1/payment/pub-key")
    assert response.status_code == 200
    assert response.json() == {"provider": "fake", "publishable_key": ""}


def test_pub_key_with_stripe(api_client, stripe_settings):
    response = api_client.get("/api/v1/payment/pub-key/")
    assert response.json() == {"provider": "stripe", "publishable_key": "pk_test_boxoffice"}


def test_pub_key_ignores_a_broken_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get("/api/v1/payment/pub-key").status_code == 200


def test_create_intent_returns_201_and_the_same_intent_again(auth_client, booking):
    first = auth_client.post(
        "/api/v1/payment/create-intent", {"booking_id": booking.id}, format="json"
    )
    second = auth_client.post(
        "/api/v1/payment/create-intent/", {"booking_id": booking.id}, format="json"
    )

    assert first.status_code == second.status_code == 201
    body = first.json()
    assert set(body) == {"payment_intent_id", "client_secret", "amount", "currency", "provider"}
    assert body["amount"] == "98.00"
    assert body["currency"] == "usd"
    assert body["provider"] == "fake"
    assert second.json() == body
    assert Payment.objects.count() == 1


def test_create_intent_with_stripe(auth_client, booking, stripe_settings, stripe_http):
    stub_intent_create(stripe_http, booking=booking)
    response = auth_client.post(
        "/api/v1/payment/create-intent", {"booking_id": booking.id}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["client_secret"] == "pi_test_123_secret_abc"
    assert response.json()["provider"] == "stripe"


def test_create_intent_for_someone_elses_booking_is_404(auth_client, make_user):
    other = BookingFactory(user=make_user())
    response = auth_client.post(
        "/api/v1/payment/create-intent", {"booking_id": other.id}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Payment.objects.exists()


def test_create_intent_for_an_unknown_booking_is_404(auth_client):
    response = auth_client.post(
        "/api/v1/payment/create-intent", {"booking_id": 10**18}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("status", ["confirmed", "expired", "cancelled"])
def test_create_intent_for_a_booking_not_pending_is_409(auth_client, user, status):
    booking = BookingFactory(user=user, status=status)
    response = auth_client.post(
        "/api/v1/payment/create-intent", {"booking_id": booking.id}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "booking_not_pending"


def test_create_intent_needs_auth(api_client, booking):
    response = api_client.post(
        "/api/v1/payment/create-intent", {"booking_id": booking.id}, format="json"
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body", [{}, {"booking_id": "abc"}, {"booking_id": 10**30}, {"booking_id": -1}]
)
def test_create_intent_rejects_bad_input_with_400(auth_client, body):
    response = auth_client.post("/api/v1/payment/create-intent", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_create_intent_rejects_malformed_json(auth_client):
    response = auth_client.post(
        "/api/v1/payment/create-intent", data="{nope", content_type="application/json"
    )
    assert response.status_code == 400


@pytest.fixture
def intent_id(auth_client, booking) -> str:
    response = auth_client.post(
        "/api/v1/payment/create-intent", {"booking_id": booking.id}, format="json"
    )
    return response.json()["payment_intent_id"]


def test_fake_pay_declined_card_is_402(auth_client, intent_id):
    response = auth_client.post(
        f"/api/v1/payment/fake/{intent_id}/pay", {"card_number": DECLINE}, format="json"
    )
    assert response.status_code == 402
    assert response.json()["code"] == "card_declined"
    assert response.json()["decline_code"] == "generic_decline"


def test_fake_pay_success(auth_client, intent_id, confirm_spy):
    response = auth_client.post(
        f"/api/v1/payment/fake/{intent_id}/pay/", {"card_number": SUCCESS}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
    assert response.json()["payment_intent_id"] == intent_id


def test_fake_pay_unknown_intent_is_404(auth_client):
    response = auth_client.post(
        "/api/v1/payment/fake/pi_fake_nope/pay", {"card_number": SUCCESS}, format="json"
    )
    assert response.status_code == 404


def test_fake_pay_without_card_is_400(auth_client, intent_id):
    response = auth_client.post(f"/api/v1/payment/fake/{intent_id}/pay", {}, format="json")
    assert response.status_code == 400


def test_fake_pay_is_404_when_the_provider_is_stripe(auth_client, intent_id, settings):
    settings.PAYMENT_PROVIDER = "stripe"
    response = auth_client.post(
        f"/api/v1/payment/fake/{intent_id}/pay", {"card_number": SUCCESS}, format="json"
    )
    assert response.status_code == 404


@requires_booking_confirm
def test_fake_pay_then_the_booking_is_confirmed(auth_client, intent_id, booking):
    response = auth_client.post(
        f"/api/v1/payment/fake/{intent_id}/pay", {"card_number": SUCCESS}, format="json"
    )
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_the_schema_documents_the_payment_routes(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    for route in ["pub-key", "create-intent", "webhook/stripe", "/pay"]:
        assert route in text
