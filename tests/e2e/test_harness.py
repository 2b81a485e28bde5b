"""The harness itself: Chromium drives the live server, screenshots and axe-core work."""

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import AXE, run_axe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_chromium_reaches_the_live_server_and_axe_runs(site, page, journey, staff_user):
    page.goto("/admin/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    shot = journey.step(page, "admin login", axe=False)
    assert shot.stat().st_size > 1000
    assert (shot.parent / shot.name.replace("desktop", "phone")).exists()

    page.set_content('<html lang="en"><title>t</title><main><h1>x</h1><input></main></html>')
    violations = run_axe(page)
    if AXE is not None:
        assert "label" in {v["id"] for v in violations}


def test_server_thread_sees_settings_overrides(site, settings):
    from django.conf import settings as live_settings

    settings.BOOKING_HOLD_SECONDS = 7
    assert live_settings.BOOKING_HOLD_SECONDS == 7
