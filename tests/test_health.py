import pytest
import redis

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_healthz_is_ok_when_database_and_redis_answer(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "queue_redis": "ok",
        "admission": "unknown",
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_redis_is_unreachable(client, monkeypatch):
    from config.embedded_redis import free_port

    dead = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    monkeypatch.setattr("accounts.health.get_redis", lambda: dead)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["redis"] == "error"
    assert response.json()["status"] == "error"


def test_healthz_is_503_when_the_queue_redis_is_unreachable(client, monkeypatch):
    from config.embedded_redis import free_port

    dead = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    monkeypatch.setattr("accounts.health.get_queue_redis", lambda: dead)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "redis": "ok",
        "queue_redis": "error",
        "admission": "unknown",
    }


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "error",
        "redis": "ok",
        "queue_redis": "ok",
        "admission": "unknown",
    }
