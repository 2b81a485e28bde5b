"""An unreachable PostgreSQL or Redis answers 503 with Retry-After (the contract's JSON on
/api/, a page elsewhere), wherever the failure surfaces: in a view, a DRF view, or a
middleware running before any view. tests/faults/ stops real servers."""

import pytest
import redis
from django.contrib.sessions.backends.cached_db import SessionStore
from django.db import OperationalError
from django.test import Client
from django_redis.exceptions import ConnectionInterrupted
from rest_framework.test import APIClient

from config.errors import ServiceUnavailable


def _fail(exc):
    def raising(*args, **kwargs):
        raise exc

    return raising


def _assert_503_page(response):
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert b"right back" in response.content


def _assert_503_json(response):
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.json() == {
        "detail": ServiceUnavailable.default_message,
        "code": "service_unavailable",
    }


@pytest.mark.django_db
def test_database_down_in_a_page_is_the_503_page(monkeypatch):
    monkeypatch.setattr(
        "concerts.views.concert_listings_upcoming", _fail(OperationalError("connection refused"))
    )

    _assert_503_page(Client(raise_request_exception=False).get("/"))


@pytest.mark.django_db
def test_database_down_in_an_api_view_is_503_json(monkeypatch):
    monkeypatch.setattr("concerts.apis.concert_list", _fail(OperationalError("server closed")))

    _assert_503_json(APIClient(raise_request_exception=False).get("/api/v1/concert/"))


@pytest.mark.django_db
def test_redis_down_in_an_api_view_is_503_json(monkeypatch, user):
    monkeypatch.setattr(
        "queueing.services.queue_status", _fail(redis.exceptions.ConnectionError("refused"))
    )
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)

    _assert_503_json(client.get("/api/v1/queue/status", {"concert_id": 1}))


@pytest.mark.django_db
def test_the_session_store_down_before_any_view_is_503_too(monkeypatch, user):
    """The session middleware fails before the view: handler500 turns it into a 503."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    monkeypatch.setattr(SessionStore, "load", _fail(ConnectionInterrupted("redis gone")))

    _assert_503_page(client.get("/"))
    _assert_503_json(client.get("/api/v1/auth/me"))


def test_an_error_raised_from_an_outage_counts_as_one():
    from config.middleware import is_outage

    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = redis.exceptions.TimeoutError("slow")

    assert is_outage(wrapped)
    assert not is_outage(ValueError("a bug"))


@pytest.mark.django_db
def test_a_plain_bug_is_still_a_500(monkeypatch):
    monkeypatch.setattr("concerts.apis.concert_list", _fail(ValueError("a bug")))

    response = APIClient(raise_request_exception=False).get("/api/v1/concert/")

    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
