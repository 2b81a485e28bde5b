"""The lean hot path (config.fastapi): status, join and hold answered without DRF when the
token and the input are good, and exactly as the DRF views answer when they are not."""

import random
from datetime import timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from queueing import services as queue_services
from queueing import state as queueing_state
from tests.factories import ConcertFactory, TicketCategoryFactory

pytestmark = pytest.mark.django_db

STATUS = "/api/v1/queue/status"
JOIN = "/api/v1/queue/join"
HOLD = "/api/v1/booking"


@pytest.fixture
def concert():
    concert = ConcertFactory()
    TicketCategoryFactory(concert=concert, total_seats=100)
    return concert


@pytest.fixture
def no_drf(monkeypatch):
    """Any request reaching a DRF view fails the test: the fast view must answer."""

    def refuse(*args, **kwargs):
        raise AssertionError("the request went through DRF")

    monkeypatch.setattr(APIView, "dispatch", refuse)


def bearer(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.parametrize("slash", ["", "/"])
def test_status_join_and_hold_skip_drf(no_drf, user, concert, slash):
    client = bearer(AccessToken.for_user(user))
    joined = client.post(JOIN + slash, {"concert_id": concert.pk}, format="json")
    assert joined.status_code == 200
    assert joined.json()["position"] == 1
    queue_services.queue_admit_next(concert_id=concert.pk)
    status = client.get(STATUS + slash, {"concert_id": concert.pk})
    assert status.status_code == 200
    assert status.json()["status"] == "active"
    category = concert.categories.get()
    held = client.post(HOLD + slash, {"category_id": category.pk, "quantity": 2}, format="json")
    assert held.status_code == 201
    assert held.json()["status"] == "pending"


def test_fast_and_drf_answers_are_the_same_bytes(user, concert, monkeypatch):
    token = AccessToken.for_user(user)
    bearer(token).post(JOIN, {"concert_id": concert.pk}, format="json")
    # poll_after_seconds carries jitter: the same seed for both answers.
    monkeypatch.setattr(queueing_state, "_jitter_rng", random.Random(7))
    fast = bearer(token).get(STATUS, {"concert_id": concert.pk})
    monkeypatch.setattr(queueing_state, "_jitter_rng", random.Random(7))
    with override_settings(FAST_API_ROUTES={}):
        slow = bearer(token).get(STATUS, {"concert_id": concert.pk})
    assert fast.content == slow.content
    assert fast["Content-Type"] == slow["Content-Type"]


def test_a_domain_error_answers_as_the_api_does(no_drf, user):
    early = ConcertFactory(sale_starts_at=ConcertFactory().sale_starts_at + timedelta(days=30))
    response = bearer(AccessToken.for_user(user)).post(
        JOIN, {"concert_id": early.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "sale_not_open"
    assert response.json()["sale_starts_at"]


def _expired(user) -> AccessToken:
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    return token


def _tampered(user) -> str:
    header, payload, signature = str(AccessToken.for_user(user)).split(".")
    return f"{header}.{payload}.{signature[:-4]}AAAA"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_expired, id="expired"),
        pytest.param(lambda user: RefreshToken.for_user(user), id="refresh-not-access"),
        pytest.param(_tampered, id="tampered-signature"),
    ],
)
@pytest.mark.parametrize(("method", "url"), [("get", STATUS), ("post", JOIN), ("post", HOLD)])
def test_a_bad_token_is_401_token_not_valid(user, concert, token, method, url):
    body = {"concert_id": concert.pk, "category_id": concert.categories.get().pk, "quantity": 1}
    response = getattr(bearer(token(user)), method)(url, body, format="json")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
    }


@pytest.mark.parametrize(("method", "url"), [("get", STATUS), ("post", JOIN), ("post", HOLD)])
def test_no_token_is_401_not_authenticated(api_client, concert, method, url):
    response = getattr(api_client, method)(url, {"concert_id": concert.pk}, format="json")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_a_deactivated_fan_may_not_join_nor_hold_until_the_token_ends(user, concert):
    client = bearer(AccessToken.for_user(user))
    client.post(JOIN, {"concert_id": concert.pk}, format="json")
    user.is_active = False
    user.save()
    for url, body in (
        (JOIN, {"concert_id": concert.pk}),
        (HOLD, {"category_id": concert.categories.get().pk, "quantity": 1}),
    ):
        response = client.post(url, body, format="json")
        assert response.status_code == 401
        assert response.json()["code"] == "user_inactive"
    # The status poll reads no database row: it answers until the token expires.
    assert client.get(STATUS, {"concert_id": concert.pk}).status_code == 200


def test_a_first_join_is_one_read_of_each_row_and_one_upsert(
    no_drf, user, make_user, concert, django_assert_num_queries
):
    # Another fan's join builds the concert's line in Redis (a line built once per concert,
    # or again after Redis lost it, is read from PostgreSQL: tests/queueing/test_rebuild.py).
    bearer(AccessToken.for_user(make_user())).post(JOIN, {"concert_id": concert.pk}, format="json")
    client = bearer(AccessToken.for_user(user))
    # The user's is_active, the concert with its seat totals, the fan's tickets held
    # (MAX_TICKETS_PER_FAN), the upsert of QueueEntry.
    with django_assert_num_queries(4):
        assert client.post(JOIN, {"concert_id": concert.pk}, format="json").status_code == 200


def test_a_hold_is_three_reads_an_insert_and_an_update(
    no_drf, user, concert, django_assert_num_queries
):
    client = bearer(AccessToken.for_user(user))
    client.post(JOIN, {"concert_id": concert.pk}, format="json")
    queue_services.queue_admit_next(concert_id=concert.pk)
    category = concert.categories.get()
    # User, category, the fan's standing bookings; insert and seat UPDATE in a transaction
    # (a savepoint and its release here, inside the test's own transaction).
    with django_assert_num_queries(7) as captured:
        response = client.post(HOLD, {"category_id": category.pk, "quantity": 1}, format="json")
    assert response.status_code == 201
    statements = [q["sql"].split()[0] for q in captured.captured_queries]
    assert statements.count("SELECT") == 3
    assert statements.count("INSERT") == 1
    assert statements.count("UPDATE") == 1
    assert statements.count("SAVEPOINT") == 1


def test_the_schema_still_documents_the_fast_routes(api_client):
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = schema.json()["paths"]
    assert paths["/api/v1/queue/status/"]["get"]["operationId"] == "queue_status"
    assert paths["/api/v1/queue/join/"]["post"]["operationId"] == "queue_join"
    assert paths["/api/v1/booking/"]["post"]["operationId"] == "booking_create"
    assert set(paths["/api/v1/queue/status/"]["get"]["responses"]) == {"200", "400", "401"}


def test_a_known_token_is_refused_once_it_expires(user, concert):
    import time_machine

    client = bearer(AccessToken.for_user(user))  # JWT_ACCESS_MINUTES later, it ends
    assert client.get(STATUS, {"concert_id": concert.pk}).status_code == 200
    with time_machine.travel(timedelta(days=1)):
        response = client.get(STATUS, {"concert_id": concert.pk})
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


@pytest.mark.parametrize("route", [JOIN, HOLD])
def test_deep_or_huge_bodies_on_the_fast_routes_get_the_edge_answers(route, user, settings):
    client = bearer(AccessToken.for_user(user))
    deep = "[" * 1000 + "]" * 1000
    response = client.generic("POST", route, deep, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    huge = '{"concert_id": 1, "pad": "' + "x" * 4096 + '"}'
    response = client.generic("POST", route, huge, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
