import pytest
from django.core import mail
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from bookings import services
from bookings.models import Booking, Ticket
from checkout import services as checkout_services
from queueing import services as queue_services
from tests.bookings.conftest import assert_seats_balance
from tests.factories import TicketCategoryFactory

pytestmark = pytest.mark.django_db

BOOKING_KEYS = {
    "id",
    "reference",
    "status",
    "concert_id",
    "category_id",
    "quantity",
    "unit_price",
    "total_amount",
    "currency",
    "expires_at",
    "created_at",
    "confirmed_at",
    "tickets",
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def confirmed(user, category, hold, provider_paid, django_capture_on_commit_callbacks):
    booking = hold(user, category, 2)
    with django_capture_on_commit_callbacks(execute=True):
        checkout_services.booking_confirm(
            booking_id=booking.pk, payment_intent_id=provider_paid(booking)
        )
    booking.refresh_from_db()
    return booking


# --- POST / ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/booking", "/api/v1/booking/"])
def test_create_answers_201_with_the_booking(auth_client, user, category, give_slot, path):
    give_slot(user, category.concert)
    response = auth_client.post(path, {"category_id": category.pk, "quantity": 2}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == BOOKING_KEYS
    assert body["status"] == "pending"
    assert body["quantity"] == 2
    assert body["unit_price"] == "49.00"
    assert body["total_amount"] == "98.00"
    assert body["currency"] == "usd"
    assert body["concert_id"] == category.concert_id
    assert body["category_id"] == category.pk
    assert body["tickets"] == []
    assert body["confirmed_at"] is None
    assert body["expires_at"].endswith("Z")


def test_create_without_slot_is_403(auth_client, category):
    response = auth_client.post(
        "/api/v1/booking/", {"category_id": category.pk, "quantity": 1}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "queue_slot_required"


@pytest.mark.parametrize("quantity", [0, 7, -3, "two", None, 10**30])
def test_create_quantity_outside_the_limit_is_400_invalid(
    auth_client, user, category, give_slot, quantity
):
    give_slot(user, category.concert)
    response = auth_client.post(
        "/api/v1/booking/", {"category_id": category.pk, "quantity": quantity}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "quantity" in body["errors"]


@pytest.mark.parametrize(
    "payload", [{}, {"category_id": "x", "quantity": 1}, {"category_id": 10**30, "quantity": 1}]
)
def test_create_bad_input_is_400(auth_client, payload):
    response = auth_client.post("/api/v1/booking/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_create_bad_json_is_400(auth_client):
    response = auth_client.post("/api/v1/booking/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_create_unknown_category_is_404(auth_client):
    response = auth_client.post(
        "/api/v1/booking/", {"category_id": 987654, "quantity": 1}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_create_conflicts(auth_client, user, concert, give_slot, settings):
    small = TicketCategoryFactory(concert=concert, total_seats=3)
    give_slot(user, concert)
    response = auth_client.post(
        "/api/v1/booking/", {"category_id": small.pk, "quantity": 4}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_seats"

    assert (
        auth_client.post(
            "/api/v1/booking/", {"category_id": small.pk, "quantity": 1}, format="json"
        ).status_code
        == 201
    )
    response = auth_client.post(
        "/api/v1/booking/", {"category_id": small.pk, "quantity": 1}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "pending_booking_exists"


def test_create_over_the_fan_limit_is_409_ticket_limit_reached(
    auth_client, user, category, hold, settings
):
    settings.MAX_TICKETS_PER_FAN = 3
    hold(user, category, 2)
    Booking.objects.filter(user=user).update(status=Booking.Status.CONFIRMED)
    response = auth_client.post(
        "/api/v1/booking/", {"category_id": category.pk, "quantity": 2}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "ticket_limit_reached"
    assert body["limit"] == 3
    assert body["held"] == 2


def test_booking_routes_need_auth(api_client):
    for method, path in [
        ("post", "/api/v1/booking/"),
        ("get", "/api/v1/booking/pending"),
        ("delete", "/api/v1/booking/pending"),
        ("patch", "/api/v1/booking/1/confirm"),
        ("get", "/api/v1/booking/confirmed/1"),
        ("get", "/api/v1/booking/mine"),
    ]:
        assert getattr(api_client, method)(path).status_code == 401, path


# --- GET and DELETE /pending -------------------------------------------------------------


def test_pending_get_and_delete(auth_client, user, category, hold, django_assert_num_queries):
    booking = hold(user, category, 2)
    with django_assert_num_queries(3):  # user, booking + concert/category, tickets
        response = auth_client.get("/api/v1/booking/pending")
    assert response.status_code == 200
    assert response.json()["reference"] == booking.reference

    response = auth_client.delete("/api/v1/booking/pending/")
    assert response.status_code == 204
    category.refresh_from_db()
    assert category.available_seats == 100
    assert auth_client.get("/api/v1/booking/pending").json()["code"] == "not_found"
    response = auth_client.delete("/api/v1/booking/pending")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_pending_is_the_fans_own(auth_client, make_user, category, hold):
    hold(make_user(), category, 1)
    assert auth_client.get("/api/v1/booking/pending").status_code == 404
    assert auth_client.delete("/api/v1/booking/pending").status_code == 404
    assert_seats_balance(category)


# --- PATCH /{id}/confirm -----------------------------------------------------------------


def test_confirm_api(
    auth_client, user, category, hold, provider_paid, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 2)
    intent_id = provider_paid(booking)
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.patch(
            f"/api/v1/booking/{booking.pk}/confirm",
            {"payment_intent_id": intent_id},
            format="json",
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["confirmed_at"]
    assert len(body["tickets"]) == 2
    assert set(body["tickets"][0]) == {"code", "category", "seat_label", "status"}
    assert body["tickets"][0]["category"] == "Stalls"
    assert len(mail.outbox) == 1

    again = auth_client.patch(
        f"/api/v1/booking/{booking.pk}/confirm/", {"payment_intent_id": intent_id}, format="json"
    )
    assert again.status_code == 200
    assert again.json()["tickets"] == body["tickets"]


def test_confirm_unpaid_is_402(auth_client, user, category, hold):
    booking = hold(user, category, 1)
    response = auth_client.patch(
        f"/api/v1/booking/{booking.pk}/confirm", {"payment_intent_id": "pi_nope"}, format="json"
    )
    assert response.status_code == 402
    assert response.json()["code"] == "payment_not_completed"


def test_confirm_expired_is_409(auth_client, user, category, hold, overdue):
    booking = overdue(hold(user, category, 1))
    services.booking_expire_overdue()
    response = auth_client.patch(
        f"/api/v1/booking/{booking.pk}/confirm", {"payment_intent_id": "pi_nope"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "booking_expired"


def test_confirm_someone_elses_or_unknown_booking_is_404(auth_client, make_user, category, hold):
    other = hold(make_user(), category, 1)
    for path in [
        f"/api/v1/booking/{other.pk}/confirm",
        "/api/v1/booking/999999/confirm",
        f"/api/v1/booking/{10**18 * 9}/confirm",
    ]:
        response = auth_client.patch(path, {"payment_intent_id": "pi_x"}, format="json")
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    assert auth_client.patch("/api/v1/booking/1/confirm", {}, format="json").status_code == 400


# --- GET /confirmed/{id} and /mine -------------------------------------------------------


def test_confirmed_get(auth_client, confirmed, django_assert_num_queries):
    with django_assert_num_queries(3):
        response = auth_client.get(f"/api/v1/booking/confirmed/{confirmed.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == BOOKING_KEYS
    codes = set(Ticket.objects.filter(booking=confirmed).values_list("code", flat=True))
    assert {t["code"] for t in body["tickets"]} == codes
    assert body["tickets"][0]["seat_label"] is None


def test_confirmed_get_404s(auth_client, make_user, user, category, hold, confirmed):
    pending = hold(make_user(), category, 1)
    for booking_id in [pending.pk, 999999, 10**25]:
        response = auth_client.get(f"/api/v1/booking/confirmed/{booking_id}/")
        assert response.status_code == 404


def test_mine_lists_confirmed_bookings_in_constant_queries(
    auth_client, user, make_user, concert, give_slot, provider_paid, django_assert_num_queries
):
    for index in range(3):
        category = TicketCategoryFactory(concert=concert, name=f"C{index}")
        give_slot(user, concert)
        booking = services.booking_create(user=user, category_id=category.pk, quantity=2)
        checkout_services.booking_confirm(
            booking_id=booking.pk, payment_intent_id=provider_paid(booking)
        )
    other = make_user()
    give_slot(other, concert)
    services.booking_create(user=other, category_id=category.pk, quantity=1)

    with django_assert_num_queries(3):  # user, bookings + concert/category, tickets
        response = auth_client.get("/api/v1/booking/mine")
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 3
    assert all(b["status"] == "confirmed" and len(b["tickets"]) == 2 for b in body)


# --- check-in ----------------------------------------------------------------------------


@pytest.fixture
def staff_client(staff_user):
    return client_for(staff_user)


def test_checkin_api(staff_client, confirmed):
    code = confirmed.tickets.first().code
    response = staff_client.post("/api/v1/checkin/", {"code": code}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["result"] == "checked_in"
    assert body["ticket"]["code"] == code
    assert body["ticket"]["booking_reference"] == confirmed.reference
    assert body["checked_in_at"].endswith("Z")

    again = staff_client.post("/api/v1/checkin", {"code": code}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_checked_in"
    assert again.json()["checked_in_at"] == body["checked_in_at"]


def test_checkin_void_and_unknown(staff_client, confirmed):
    code = confirmed.tickets.first().code
    checkout_services.booking_cancel_confirmed(booking_id=confirmed.pk)
    response = staff_client.post("/api/v1/checkin/", {"code": code}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ticket_void"
    response = staff_client.post("/api/v1/checkin/", {"code": "x" * 40}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_ticket"
    response = staff_client.post("/api/v1/checkin/", {"code": ["a"]}, format="json")
    assert response.status_code == 400


def test_checkin_is_staff_only(auth_client, api_client, confirmed):
    code = confirmed.tickets.first().code
    response = auth_client.post("/api/v1/checkin/", {"code": code}, format="json")
    assert response.status_code == 403
    assert api_client.post("/api/v1/checkin/", {"code": code}, format="json").status_code == 401
    assert confirmed.tickets.filter(status=Ticket.Status.CHECKED_IN).count() == 0


# --- OpenAPI -----------------------------------------------------------------------------


def test_schema_documents_the_error_codes(api_client):
    response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    for code in [
        "queue_slot_required",
        "insufficient_seats",
        "pending_booking_exists",
        "ticket_limit_reached",
        "payment_not_completed",
        "booking_expired",
        "already_checked_in",
        "ticket_void",
        "unknown_ticket",
    ]:
        assert code in text, code


def test_confirm_paid_after_expiry_with_seats_gone_is_409_refunded(
    auth_client, user, make_user, concert, hold, provider_paid, overdue
):
    small = TicketCategoryFactory(concert=concert, total_seats=1)
    booking = hold(user, small, 1)
    intent_id = provider_paid(booking)
    overdue(booking)
    services.booking_expire_overdue()
    # The fan's turn ends too (else the one free seat stays theirs to take again: the
    # turnstile admits nobody for it), and someone else takes the seat.
    queue_services.queue_leave(user_id=user.pk, concert_id=concert.pk)
    hold(make_user(), small, 1)
    response = auth_client.patch(
        f"/api/v1/booking/{booking.pk}/confirm", {"payment_intent_id": intent_id}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "booking_expired"
    assert response.json()["refunded"] is True
    booking.refresh_from_db()
    assert booking.refunded_at is not None
