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


# --- The schema states the limits the server enforces (schemathesis --checks all) ----------
def _request_schema(generated, path, method):
    ref = generated["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return generated["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def _non_blank(field_schema):
    """A blank-allowed string is `oneOf: [the string's schema, maxLength 0]`."""
    return field_schema["oneOf"][0] if "oneOf" in field_schema else field_schema


def test_ids_in_paths_and_queries_state_their_range(schema):
    generated, _ = schema
    id_range = {"minimum": 1, "maximum": 2**63 - 1}

    for path, method, name in [
        ("/api/v1/concert/{id}/", "get", "id"),
        ("/api/v1/booking/confirmed/{id}/", "get", "id"),
        ("/api/v1/booking/{id}/confirm/", "patch", "id"),
        ("/api/v1/queue/status/", "get", "concert_id"),
    ]:
        (parameter,) = [
            p for p in generated["paths"][path][method]["parameters"] if p["name"] == name
        ]
        assert parameter["required"] is True
        assert parameter["schema"].items() >= id_range.items(), path


def test_quantity_phone_otp_and_password_limits_are_stated(schema, settings):
    generated, _ = schema

    booking = _request_schema(generated, "/api/v1/booking/", "post")["properties"]
    assert booking["quantity"]["minimum"] == 1
    assert booking["quantity"]["maximum"] == settings.MAX_TICKETS_PER_BOOKING
    signup = _request_schema(generated, "/api/v1/auth/signup/email/", "post")["properties"]
    phone = _non_blank(signup["phone"])
    assert phone["format"] == "phone"
    assert re.fullmatch(phone["pattern"], "+44 20 7946 0958")
    assert not re.fullmatch(phone["pattern"], "020 7946 0958")
    assert signup["password"]["minLength"] == 8
    otp = _request_schema(generated, "/api/v1/auth/verify-otp/", "post")["properties"]["otp"]
    assert re.fullmatch(otp["pattern"], "123 456")
    assert not re.fullmatch(otp["pattern"], "12345")


def test_request_strings_state_that_nul_is_refused(schema):
    generated, _ = schema

    name = _request_schema(generated, "/api/v1/auth/me/", "patch")["properties"]["first_name"]
    assert _non_blank(name)["pattern"] == r"^[^\u0000]*$"


def test_the_confirm_body_is_required_whole_though_it_is_a_patch(schema):
    generated, _ = schema

    body = _request_schema(generated, "/api/v1/booking/{id}/confirm/", "patch")
    assert body["required"] == ["payment_intent_id"]


def test_the_quantity_limit_follows_the_setting(settings):
    from bookings.apis import BookingCreateApi

    settings.MAX_TICKETS_PER_BOOKING = 2
    serializer = BookingCreateApi.InputSerializer(data={"category_id": 1, "quantity": 3})

    assert not serializer.is_valid()
    assert serializer.errors["quantity"] == ["Choose between 1 and 2 tickets."]


@pytest.mark.django_db
def test_a_number_where_a_string_is_expected_is_invalid(auth_client):
    response = auth_client.patch("/api/v1/auth/me", {"last_name": 0}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"last_name": ["Not a valid string."]}


@pytest.mark.django_db
def test_an_empty_boolean_filter_is_invalid(client):
    response = client.get("/api/v1/concert/?upcoming=")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
