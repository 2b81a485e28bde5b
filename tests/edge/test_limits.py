"""Malformed or oversized input answers the contract's JSON, never 500 or an HTML page."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from config.api import json_body
from config.errors import PayloadTooLarge
from config.jsonbody import InvalidJson

DEEP = "[" * 1000 + "]" * 1000  # 2 KB: the 500 on every JSON route
JSON_ROUTES = [
    ("post", "/api/v1/auth/login/email"),
    ("post", "/api/v1/auth/signup/email"),
    ("post", "/api/v1/auth/verify-otp"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/queue/join"),
    ("post", "/api/v1/booking/"),
    ("patch", "/api/v1/auth/me"),
    ("post", "/api/v1/checkin/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_deeply_nested_json_is_400_invalid_on_every_route(method, path, staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)

    response = getattr(client, method)(path, DEEP, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "errors" in response.json()


@pytest.mark.django_db
def test_nesting_within_the_limit_still_parses(api_client):
    body = '{"email": "a@example.com", "password": "x", "extra": ' + "[" * 30 + "]" * 30 + "}"

    response = api_client.post("/api/v1/auth/login/email", body, content_type="application/json")

    assert response.status_code == 401  # parsed, then refused as a wrong password


@pytest.mark.django_db
def test_brackets_inside_strings_do_not_count_as_nesting(api_client):
    body = '{"email": "a@example.com", "password": "' + "[" * 500 + '"}'

    response = api_client.post("/api/v1/auth/login/email", body, content_type="application/json")

    assert response.status_code == 401


@pytest.mark.django_db
def test_a_10_mb_body_is_413_json(api_client):
    body = '{"email": "' + "a" * 10_000_000 + '"}'

    response = api_client.post("/api/v1/auth/login/email", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "detail": PayloadTooLarge.default_message,
        "code": "payload_too_large",
    }


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
@pytest.mark.django_db
def test_a_body_over_the_limit_without_content_length_is_413_too(api_client):
    import io

    from config.parsers import JSONParser

    with pytest.raises(PayloadTooLarge):
        JSONParser().parse(io.BytesIO(b'{"a": "' + b"x" * 200 + b'"}'))


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unknown_api_paths_answer_json_404_for_every_method_even_with_csrf(method):
    client = APIClient(enforce_csrf_checks=True)
    for path in ("/api/v1/no-such-thing", "/api/v1/queue/nope/", "/api/v2/concert/", "/api"):
        response = getattr(client, method)(path, {"a": 1}, format="json")
        assert response.status_code == 404, (method, path)
        assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_json_body_reads_plain_views_bodies_within_the_limits(rf):
    assert json_body(rf.post("/x", '{"a": [1, 2]}', content_type="application/json")) == {
        "a": [1, 2]
    }
    assert json_body(rf.post("/x", "", content_type="application/json")) == {}
    with pytest.raises(InvalidJson):
        json_body(rf.post("/x", DEEP, content_type="application/json"))
    with pytest.raises(InvalidJson):
        json_body(rf.post("/x", "{nope", content_type="application/json"))
    with pytest.raises(InvalidJson):
        json_body(rf.post("/x", '{"a": NaN}', content_type="application/json"))
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10), pytest.raises(PayloadTooLarge):
        json_body(rf.post("/x", '{"a": "0123456789"}', content_type="application/json"))
