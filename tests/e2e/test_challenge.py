"""The proof of work at join (docs/challenge.md): with the challenge on, a fan opens the
waiting room and gets in line without doing anything, while the browser solves the check
in the background; a reload keeps the place without solving again."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.flows import expect_position

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_browser_solves_the_check_and_the_fan_joins_without_doing_anything(
    site, new_context, make_user, login, locked, concerts, journey, settings
):
    from queueing.challenge import challenge_counts
    from queueing.services import queue_rebuild_if_lost

    # Enough work that the solver really runs (up to 20,000 hashes), little enough for CI.
    settings.QUEUE_CHALLENGE_MAXNUMBER = 20_000
    site.turnstile.pause()  # the fan stays in line
    concert = concerts["on_sale"]
    with locked():
        fan = make_user()
        # The line exists in Redis, as once any fan has come by. (Before that the page reads
        # "waiting, place unknown" while it is built: its first join goes without a solution,
        # is answered challenge_required, and the page solves and joins again.)
        queue_rebuild_if_lost(concert_id=concert.pk)
    context = new_context()
    login(context, fan)
    page = context.new_page()
    challenges, joins = [], []

    def seen(request):
        if "/api/v1/queue/challenge" in request.url:
            challenges.append(request.url)
        elif "/api/v1/queue/join" in request.url:
            joins.append(json.loads(request.post_data or "{}"))

    page.on("request", seen)
    page.goto(reverse("queueing:room", kwargs={"concert_id": concert.pk}))

    done = page.get_by_role("status").filter(has_text="Browser check done.")
    expect(done).to_be_visible(timeout=30_000)
    expect_position(page, 1)
    journey.step(page, "waiting room: the browser check is done")
    assert len(challenges) == 1
    assert len(joins) == 1
    assert joins[0]["concert_id"] == concert.pk
    assert len(joins[0]["altcha"]) > 100
    with locked():
        counts = challenge_counts(concert.pk)
    assert (counts["issued"], counts["solved"], counts["failed"]) == (1, 1, 0)

    # Back on the page while in line: the place is kept, no new check is solved.
    page.reload()
    expect_position(page, 1)
    assert len(challenges) == 1
    assert "altcha" not in joins[-1]


def test_the_first_fan_of_a_line_not_yet_in_redis_still_gets_in(
    site, new_context, make_user, login, locked, concerts, settings
):
    """Before the line is built the page reads "waiting, place unknown" and joins without a
    solution; the server answers challenge_required, and the page solves and joins again."""
    settings.QUEUE_CHALLENGE_MAXNUMBER = 2_000
    site.turnstile.pause()
    with locked():
        fan = make_user()
    context = new_context()
    login(context, fan)
    page = context.new_page()
    answers = []
    page.on(
        "response",
        lambda response: (
            answers.append(response.status) if "/api/v1/queue/join" in response.url else None
        ),
    )
    page.goto(reverse("queueing:room", kwargs={"concert_id": concerts["on_sale"].pk}))
    expect_position(page, 1)
    assert answers[-1] == 200
    assert set(answers) <= {403, 200}  # at most one challenge_required on the way


def test_a_check_turned_on_after_the_page_loaded_is_solved_when_the_join_asks(
    site, new_context, make_user, login, locked, concerts, settings
):
    """The page was rendered with the check off, so it joins without one; the check is
    turned on just then: the join answers challenge_required, and the page fetches a
    challenge, solves it and joins."""
    from queueing.services import queue_rebuild_if_lost

    site.turnstile.pause()
    concert = concerts["on_sale"]
    with locked():
        fan = make_user()
        queue_rebuild_if_lost(concert_id=concert.pk)
    context = new_context()
    login(context, fan)
    page = context.new_page()
    answers = []

    def turn_on_then_join(route):
        settings.QUEUE_CHALLENGE_MAXNUMBER = 2_000  # staff raise the default mid-sale
        route.continue_()

    page.route("**/api/v1/queue/join**", turn_on_then_join)
    page.on(
        "response",
        lambda response: (
            answers.append((response.url.split("/api/v1/queue/")[-1], response.status))
            if "/api/v1/queue/join" in response.url or "/api/v1/queue/challenge" in response.url
            else None
        ),
    )
    page.goto(reverse("queueing:room", kwargs={"concert_id": concert.pk}))
    expect(page.locator("script[data-required='0']")).to_have_count(1)
    expect_position(page, 1)
    assert [status for _, status in answers] == [403, 200, 200]
    assert answers[1][0].startswith("challenge")
