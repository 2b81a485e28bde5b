"""Staff read the report after a sale (issue #12 part 6): a simulated sale on a virtual
clock (bench.simulate_sale, the real services), then the admin's report page, its chart
and its downloads, as staff see them at 1280 and 390 px."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAFF_PASSWORD = "box-office-window-77"


def test_staff_read_the_report_of_a_sale(site, page, journey, make_user, locked):
    from bench.simulate_sale import run_simulation

    site.turnstile.pause()  # the simulation runs its own turnstile, on its own clock
    with locked():
        concert = run_simulation(fans=120, seats=40, seed=5, log=lambda *_: None)
        make_user(
            email="staff@example.com", password=STAFF_PASSWORD, is_staff=True, is_superuser=True
        )
    page.goto("/admin/")
    page.get_by_label("Email address").fill("staff@example.com")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#reports-salereport").get_by_role("link", name="Sale reports").click()
    page.get_by_role("row", name="Simulated Sale").get_by_role("link", name="Report").click()

    expect(page.get_by_role("heading", name="Sale report: Simulated Sale")).to_be_visible()
    expect(page.get_by_role("img", name="Fans admitted and purchases per minute")).to_be_visible()
    expect(page.get_by_text("40 sold of 40")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Sold out after \d"))).to_be_visible()
    expect(page.get_by_role("heading", name="The draw")).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting list")).to_be_visible()
    journey.step(page, "sale report")

    with page.expect_download() as download:
        page.get_by_role("link", name="JSON").first.click()
    body = json.loads(Path(download.value.path()).read_text())
    assert body["concert_id"] == concert.pk
    assert body["seats_sold"] == 40
    assert body["challenges"]["failed"] == 29
