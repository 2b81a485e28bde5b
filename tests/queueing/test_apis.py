from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from queueing import services
from tests.factories import ConcertFactory, TicketCategoryFactory

pytestmark = pytest.mark.django_db

JOIN = "/api/v1/queue/join"
STATUS = "/api/v1/queue/status"
LEAVE = "/api/v1/queue/leave"
STATE_FIELDS = {
    "concert_id",
    "status",
    "position",
    "queue_length",
    "estimated_wait_seconds",
    "active_until",
    "sale_starts_at",
    "line",
    "line_reason",
    "poll_after_seconds",
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.mark.parametrize("slash", ["", "/"])
def test_join_answers_the_queue_state(auth_client, concert, slash):
    response = auth_client.post(JOIN + slash, {"concert_id": concert.pk}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == STATE_FIELDS
    assert body["concert_id"] == concert.pk
    assert body["status"] == "waiting"
    assert body["position"] == 1
    assert body["queue_length"] == 1
    assert body["estimated_wait_seconds"] is None
    assert body["active_until"] is None
    assert body["sale_starts_at"].endswith("Z") or "+00:00" in body["sale_starts_at"]
    assert 1.5 <= body["poll_after_seconds"] <= 2.5  # first in line: ask again soon


def test_joining_twice_keeps_the_place(auth_client, concert, make_user):
    auth_client.post(JOIN, {"concert_id": concert.pk}, format="json")
    client_for(make_user()).post(JOIN, {"concert_id": concert.pk}, format="json")
    again = auth_client.post(JOIN, {"concert_id": concert.pk}, format="json")
    assert again.json()["position"] == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"concert_id": "abc"}, {"concert_id": None}, {"concert_id": 0}, {"concert_id": 10**30}],
)
def test_join_rejects_a_missing_or_bad_concert_id(auth_client, body):
    response = auth_client.post(JOIN, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "concert_id" in response.json()["errors"]


def test_join_rejects_malformed_json(auth_client):
    response = auth_client.post(JOIN, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_join_an_unknown_or_unpublished_concert_is_not_found(auth_client):
    hidden = ConcertFactory(published=False)
    for concert_id in (hidden.pk, 999_999):
        response = auth_client.post(JOIN, {"concert_id": concert_id}, format="json")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_join_before_the_prequeue_is_sale_not_open(auth_client):
    concert = ConcertFactory(sale_starts_at=timezone.now() + timedelta(days=1))
    response = auth_client.post(JOIN, {"concert_id": concert.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "sale_not_open"
    assert response.json()["sale_starts_at"]


def test_join_in_the_prequeue_has_no_position(auth_client, upcoming_concert):
    body = auth_client.post(JOIN, {"concert_id": upcoming_concert.pk}, format="json").json()
    assert (body["status"], body["position"]) == ("waiting", None)
    assert body["sale_starts_at"] is not None


def test_join_a_sold_out_concert(auth_client):
    concert = ConcertFactory()
    TicketCategoryFactory(concert=concert, total_seats=5, available_seats=0)
    response = auth_client.post(JOIN, {"concert_id": concert.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "sold_out"


@pytest.mark.parametrize(("method", "url"), [("post", JOIN), ("get", STATUS), ("post", LEAVE)])
def test_the_queue_needs_authentication(api_client, concert, method, url):
    response = getattr(api_client, method)(url, {"concert_id": concert.pk}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] in {"not_authenticated", "token_not_valid"}


@pytest.mark.parametrize("slash", ["", "/"])
def test_status_runs_no_database_query(auth_client, concert, django_assert_num_queries, slash):
    auth_client.post(JOIN, {"concert_id": concert.pk}, format="json")
    with django_assert_num_queries(0):
        response = auth_client.get(STATUS + slash, {"concert_id": concert.pk})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == STATE_FIELDS
    assert (body["status"], body["position"]) == ("waiting", 1)


def test_status_of_a_fan_not_in_line(auth_client, concert, django_assert_num_queries):
    services.queue_rebuild_if_lost(concert_id=concert.pk)  # the beat's tick builds the state
    with django_assert_num_queries(0):
        body = auth_client.get(STATUS, {"concert_id": concert.pk}).json()
    assert (body["status"], body["position"], body["queue_length"]) == ("none", None, 0)


def test_status_of_an_admitted_fan_has_active_until(auth_client, concert):
    auth_client.post(JOIN, {"concert_id": concert.pk}, format="json")
    services.queue_admit_next(concert_id=concert.pk)
    body = auth_client.get(STATUS, {"concert_id": concert.pk}).json()
    assert body["status"] == "active"
    assert body["position"] is None
    assert body["active_until"]


@pytest.mark.parametrize("query", [{}, {"concert_id": "x"}, {"concert_id": "-4"}])
def test_status_rejects_a_missing_or_bad_concert_id(auth_client, query):
    response = auth_client.get(STATUS, query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_status_refuses_a_session_without_a_token(client, user, concert):
    client.force_login(user)
    assert client.get(STATUS, {"concert_id": concert.pk}).status_code == 401


def test_leave_answers_204_and_removes_the_fan(auth_client, concert):
    auth_client.post(JOIN, {"concert_id": concert.pk}, format="json")
    response = auth_client.post(LEAVE, {"concert_id": concert.pk}, format="json")
    assert response.status_code == 204
    assert auth_client.get(STATUS, {"concert_id": concert.pk}).json()["status"] == "none"
    assert (
        auth_client.post(LEAVE + "/", {"concert_id": concert.pk}, format="json").status_code == 204
    )


def test_leave_rejects_a_bad_concert_id(auth_client):
    response = auth_client.post(LEAVE, {"concert_id": "one"}, format="json")
    assert response.status_code == 400


def test_the_schema_documents_the_queue_routes(auth_client):
    response = auth_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    text = response.content.decode()
    for operation in ("queue_join", "queue_status", "queue_leave", "sale_not_open"):
        assert operation in text


def test_joining_again_through_the_api_is_three_cheap_queries(
    auth_client, concert, django_assert_num_queries
):
    auth_client.post(JOIN, {"concert_id": concert.pk}, format="json")
    # The user behind the token, the concert with its seat totals, the tickets the fan holds
    # (MAX_TICKETS_PER_FAN); nothing written.
    with django_assert_num_queries(3):
        response = auth_client.post(JOIN, {"concert_id": concert.pk}, format="json")
    assert response.json()["position"] == 1
