import json

from django.test import RequestFactory

from bench import views


def test_bench_routes_are_not_mounted_by_default(client):
    assert client.get("/bench/minimal").status_code == 404


def test_minimal_view_answers_json():
    response = views.minimal(RequestFactory().get("/bench/minimal"))
    assert json.loads(response.content) == {"ok": True}


def test_redis_get_view_reads_the_baseline_key():
    from config.redis import get_redis

    get_redis().set(views.BASELINE_KEY, "x")
    response = views.redis_get(RequestFactory().get("/bench/redis-get"))
    assert json.loads(response.content) == {"value": "x"}
