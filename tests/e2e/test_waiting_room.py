"""The waiting room tells the fan the truth: it polls when the server says, shows a lost
connection and recovers, counts down to the sale on the server's clock, asks before the fan
leaves, and says "your turn" in a background tab."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.e2e.flows import expect_position

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STATUS_ROUTE = "**/api/v1/queue/status**"


def _room(page: Page, concert) -> None:
    page.goto(reverse("queueing:room", kwargs={"concert_id": concert.pk}))


def _wait_for(page: Page, predicate, *, timeout: float = 12.0) -> None:
    """Let the page (and Playwright's route handlers) run until predicate() holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


@pytest.fixture
def fan_page(site, new_context, make_user, login, locked):
    def make(*, init_script: str | None = None, **context_options) -> Page:
        with locked():
            fan = make_user()
        context = new_context(**context_options)
        if init_script:
            context.add_init_script(init_script)
        login(context, fan)
        return context.new_page()

    return make


def test_the_page_polls_when_the_server_says(site, fan_page, concerts, journey):
    site.turnstile.pause()  # the fan stays first in line
    page = fan_page()
    hints = [1.0, 1.0, 1.0, 4.0, 4.0]
    arrivals: list[float] = []

    def hinted(route):
        response = route.fetch()
        body = response.json()
        body["poll_after_seconds"] = hints[min(len(arrivals), len(hints) - 1)]
        arrivals.append(time.monotonic())
        route.fulfill(response=response, json=body)

    page.route(STATUS_ROUTE, hinted)
    _room(page, concerts["on_sale"])
    expect_position(page, 1)
    _wait_for(page, lambda: len(arrivals) >= 5, timeout=14)

    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    # Told 1 s three times, then 4 s: the page asks again when told, not on its own rhythm.
    assert all(0.9 <= gap <= 1.9 for gap in gaps[:3]), gaps
    assert 3.9 <= gaps[3] <= 5.0, gaps
    journey.step(page, "waiting room: polls when the server says")


def test_a_lost_connection_is_shown_and_the_page_recovers_by_itself(
    site, fan_page, concerts, journey
):
    site.turnstile.pause()
    page = fan_page()
    _room(page, concerts["on_sale"])
    expect_position(page, 1)

    page.route(STATUS_ROUTE, lambda route: route.abort("internetdisconnected"))
    banner = page.get_by_role("status").filter(has_text="Connection lost")
    expect(banner).to_be_visible(timeout=8_000)
    expect(banner).to_contain_text("trying again in")
    expect(
        page.get_by_role("main").locator("[role='status'][data-field='connection']")
    ).to_contain_text("Connection lost")
    journey.step(page, "waiting room: connection lost")

    page.unroute(STATUS_ROUTE)
    restored = page.get_by_role("status").filter(has_text="Connection restored")
    expect(restored).to_be_visible(timeout=10_000)
    expect(page.get_by_text("Connection lost")).to_have_count(0)
    expect_position(page, 1)
    journey.step(page, "waiting room: connection restored")


def test_leaving_the_waiting_room_asks_first(site, fan_page, concerts, journey):
    site.turnstile.pause()
    page = fan_page()
    concert = concerts["on_sale"]
    _room(page, concert)
    expect_position(page, 1)

    page.get_by_role("button", name="Leave the waiting room").click()
    dialog = page.get_by_role("dialog", name="Leave the waiting room?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Stay in line")).to_be_focused()
    journey.step(page, "waiting room: leave? asks first")

    dialog.get_by_role("button", name="Stay in line").click()
    expect(dialog).to_be_hidden()
    expect_position(page, 1)  # still in line

    page.get_by_role("button", name="Leave the waiting room").click()
    dialog.get_by_role("button", name="Leave", exact=True).click()
    page.wait_for_url(re.compile(rf"/concerts/{concert.slug}/?$"))
    expect(page.get_by_text("You have left the waiting room.")).to_be_visible()
    journey.step(page, "left the waiting room")


# A background tab whose fan allowed notifications: document.hidden, and stand-ins for
# Notification and navigator.vibrate that record what the page did.
BACKGROUND_TAB = """
Object.defineProperty(Document.prototype, "hidden", {get: () => true, configurable: true});
Object.defineProperty(Document.prototype, "visibilityState", {get: () => "hidden", configurable: true});
window.__alerts = [];
navigator.vibrate = function () { window.__alerts.push("vibrate"); return true; };
function FakeNotification(title) { window.__alerts.push("notification: " + title); }
FakeNotification.prototype.close = function () {};
FakeNotification.permission = "granted";
FakeNotification.requestPermission = function () { return Promise.resolve("granted"); };
window.Notification = FakeNotification;
"""


def test_in_a_background_tab_the_turn_changes_the_title_and_notifies(
    site, fan_page, concerts, journey
):
    site.turnstile.pause()
    page = fan_page(init_script=BACKGROUND_TAB)
    _room(page, concerts["on_sale"])
    expect_position(page, 1)
    expect(page).to_have_title(re.compile(r"^Waiting room"))
    expect(page.get_by_role("button", name="Alert me when it's my turn")).to_be_visible()

    site.turnstile.resume()
    expect(page).to_have_title(re.compile(r"^Your turn! · Waiting room"), timeout=10_000)
    alerts = page.evaluate("window.__alerts")
    assert "notification: It's your turn" in alerts
    assert "vibrate" in alerts
    expect(page.get_by_role("heading", name=re.compile(r"^It.s your turn"))).to_be_visible()
    journey.step(page, "background tab: your turn")


def test_the_pre_queue_counts_down_to_the_sale_on_the_servers_clock(
    site, fan_page, locked, journey
):
    from django.utils import timezone

    from tests.factories import ConcertFactory, TicketCategoryFactory

    with locked():
        concert = ConcertFactory(
            name="Night Ferry",
            slug="night-ferry",
            sale_starts_at=timezone.now() + timedelta(minutes=10),
            starts_at=timezone.now() + timedelta(days=30),
        )
        TicketCategoryFactory(concert=concert, name="Standing", total_seats=20)
    page = fan_page()
    # The fan's own clock is an hour fast: a countdown on it alone would say the sale opened.
    page.clock.install(time=datetime.now() + timedelta(hours=1))
    _room(page, concert)

    expect(page.get_by_role("heading", name="You are in the pre-queue")).to_be_visible()
    countdown = page.get_by_role("timer")
    expect(countdown).to_have_text(re.compile(r"^(10:00|9:[0-5]\d)$"))
    first = countdown.inner_text()
    page.wait_for_timeout(2_100)
    assert countdown.inner_text() != first  # it ticks
    expect(
        page.get_by_role("main").locator("[aria-live='polite'][data-field='announce']")
    ).to_have_text(
        "You are in the pre-queue. Your place will be drawn when the sale opens, in a draw "
        "anyone can check."
    )
    journey.step(page, "pre-queue: countdown to the sale")


def test_the_seat_page_offers_what_the_fan_may_buy_and_a_declined_card_is_not_paid_again_on_reload(
    site, fan_page, concerts, journey, settings
):
    from tests.e2e.flows import (
        CHECKOUT_URL,
        FAKE_CARD_DECLINED,
        choose_tickets,
        pay_with_card,
        wait_for_admission,
    )

    settings.MAX_TICKETS_PER_FAN = 3
    page = fan_page()
    _room(page, concerts["on_sale"])
    wait_for_admission(page, journey)
    quantities = page.get_by_label("Number of tickets").locator("option").all_inner_texts()
    assert quantities == ["1", "2", "3"]  # 3 per fan, though 6 per booking
    expect(page.get_by_text("Seats are held for 10 minutes while you pay.")).to_be_visible()
    choose_tickets(page, journey, category="Standing", quantity=2)

    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    pay_with_card(page, journey, FAKE_CARD_DECLINED, label="declined")
    expect(page.get_by_role("alert").filter(has_text="declined")).to_be_visible()
    assert CHECKOUT_URL.search(page.url)  # redirected: the page on screen is a GET
    assert len(posts) == 1

    page.reload()
    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    assert len(posts) == 1  # the reload did not post the card again
    expect(page.get_by_label("Card number")).to_be_visible()
    journey.step(page, "declined card page reloaded")
