"""Small things a newcomer hits: the favicon, the styled error pages, no-store on responses
with tokens or ticket codes, and `make run`'s PORT and SITE_URL."""

import socket

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from rest_framework.test import APIClient

from config import launch

PASSWORD = "correct-horse-battery-9"


def test_favicon_redirects_to_the_icon_that_exists(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.svg"  # not //static/...
    assert finders.find("img/favicon.svg")


@pytest.mark.django_db
def test_a_forbidden_page_is_the_styled_403(client, user):
    client.force_login(user)

    response = client.get("/bookings/checkin/")  # staff only

    assert response.status_code == 403
    assert b"You can't open this page" in response.content
    assert b"site-header" in response.content  # the site's layout, not a bare page


@pytest.mark.django_db
def test_an_expired_form_is_the_styled_csrf_page(user):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})

    assert response.status_code == 403
    assert b"That form had expired" in response.content


@pytest.mark.django_db
def test_responses_with_tokens_or_ticket_codes_are_never_stored(user):
    client = APIClient()
    login = client.post(
        "/api/v1/auth/login/email", {"email": user.email, "password": PASSWORD}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

    assert "no-store" in login["Cache-Control"]
    assert "no-store" in client.get("/api/v1/booking/mine")["Cache-Control"]
    page = Client()
    page.force_login(user)
    assert "no-store" in page.get("/bookings/mine/")["Cache-Control"]


@pytest.mark.django_db
def test_the_public_catalog_stays_cacheable(client):
    assert "no-store" not in client.get("/api/v1/concert/").get("Cache-Control", "")


def test_a_taken_port_is_named_with_the_way_out():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        message = launch.port_in_use_message("127.0.0.1", port)

    assert message is not None
    assert f"Port {port}" in message
    assert f"PORT={port + 1}" in message
    assert launch.port_in_use_message("127.0.0.1", port) is None  # free again


def test_make_run_refuses_a_taken_port_before_starting_anything(monkeypatch, capsys):
    monkeypatch.setenv("PATH", launch.os.environ["PATH"])
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("SITE_URL", "http://example.test")
    started = []
    monkeypatch.setattr(launch, "manage", lambda *args: started.append(args))
    monkeypatch.setattr(launch.embedded_redis, "start_foreground", started.append)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("PORT", str(taken.getsockname()[1]))
        monkeypatch.setenv("HOST", "127.0.0.1")

        assert launch.main("run") == 1

    assert started == []
    assert "already in use" in capsys.readouterr().err


def test_make_run_points_site_url_at_its_port(monkeypatch):
    # Recorded first, so that the test leaves the environment as it found it.
    monkeypatch.setenv("SITE_URL", "recorded")
    monkeypatch.delenv("SITE_URL")
    monkeypatch.setenv("PATH", launch.os.environ["PATH"])
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setattr(launch, "port_in_use_message", lambda host, port: "stop here")

    launch.main("run")

    assert launch.os.environ["SITE_URL"] == "http://127.0.0.1:8123"


def test_the_banner_carries_the_staff_login():
    text = launch.banner("http://127.0.0.1:8000", "Staff login: staff@x / pw")

    assert "http://127.0.0.1:8000/admin/" in text
    assert "Staff login: staff@x / pw" in text
