import re

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

AUTH_ROUTES = {
    ("/api/v1/auth/signup/email/", "post"): {"202", "400", "429"},
    ("/api/v1/auth/verify-otp/", "post"): {"201", "400", "429"},
    ("/api/v1/auth/login/email/", "post"): {"200", "400", "401", "429"},
    ("/api/v1/auth/refresh/", "post"): {"200", "400", "401", "429"},
    ("/api/v1/auth/logout/", "post"): {"204", "400", "401"},
    ("/api/v1/auth/me/", "get"): {"200", "401"},
    ("/api/v1/auth/me/", "patch"): {"200", "400", "401"},
}


@pytest.fixture
def schema():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        generated = SchemaGenerator().get_schema(request=None, public=True)
    warnings = list(GENERATOR_STATS._warn_cache) + list(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return generated, warnings


def test_the_auth_routes_generate_without_warnings(schema):
    _, warnings = schema

    ours = [
        w
        for w in warnings
        if re.search(r"accounts/|Signup|VerifyOtp|Login|Refresh|Logout|MeApi", w)
    ]
    assert ours == []


def test_every_auth_route_documents_its_error_responses(schema):
    generated, _ = schema
    validate_schema(generated)

    for (path, method), codes in AUTH_ROUTES.items():
        operation = generated["paths"][path][method]
        assert set(operation["responses"]) == codes, (path, method)
    verify_400 = generated["paths"]["/api/v1/auth/verify-otp/"]["post"]["responses"]["400"]
    assert "otp_expired" in verify_400["description"]


@pytest.mark.django_db
def test_schema_endpoint_serves_openapi_3(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


@pytest.mark.django_db
def test_swagger_ui_is_served_from_our_own_static_files(client):
    response = client.get("/api/v1/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert not re.search(r"https?://(cdn|unpkg|cdnjs)", html)
    # No inline script (the CSP forbids it): the init script is a separate same-origin file.
    assert "<script>" not in html
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert "/api/v1/schema" in script.content.decode()
