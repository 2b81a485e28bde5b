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


def _tick(*, age_s: float, open_sales: int, next_sale_ms: int | None = None) -> None:
    import time

    from config.redis import record_admission_tick

    now_ms = int(time.time() * 1000)
    record_admission_tick(
        now_ms=now_ms - int(age_s * 1000), open_sales=open_sales, next_sale_ms=next_sale_ms
    )


def test_healthz_reports_a_running_admission_tick(client, settings):
    settings.QUEUE_PROMOTION_INTERVAL_SECONDS = 5
    _tick(age_s=4, open_sales=1)

    response = client.get("/healthz")

    assert (response.status_code, response.json()["admission"]) == (200, "ok")


def test_healthz_is_503_when_the_admission_tick_stalls_during_a_sale(client, settings):
    settings.QUEUE_PROMOTION_INTERVAL_SECONDS = 5
    _tick(age_s=16, open_sales=1)  # more than 3 intervals: no beat or no worker

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["admission"] == "stalled"
    assert response.json()["status"] == "error"


def test_healthz_is_503_when_the_tick_stalled_before_a_sale_that_has_opened(client, settings):
    import time

    settings.QUEUE_PROMOTION_INTERVAL_SECONDS = 5
    _tick(age_s=60, open_sales=0, next_sale_ms=int(time.time() * 1000) - 10_000)

    assert client.get("/healthz").json()["admission"] == "stalled"


def test_an_old_tick_with_no_sale_open_is_healthy(client, settings):
    settings.QUEUE_PROMOTION_INTERVAL_SECONDS = 5
    _tick(age_s=3600, open_sales=0)

    response = client.get("/healthz")

    assert (response.status_code, response.json()["admission"]) == (200, "ok")


def test_the_beat_task_records_the_admission_tick(client):
    from config.redis import last_admission_tick
    from queueing.tasks import admit_all_concerts

    admit_all_concerts()

    assert last_admission_tick()["open_sales"] == 0
    assert client.get("/healthz").json()["admission"] == "ok"
