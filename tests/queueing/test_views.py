import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from queueing import services
from tests.factories import ConcertFactory

pytestmark = pytest.mark.django_db


def room_url(concert):
    return reverse("queueing:room", kwargs={"concert_id": concert.pk})


def test_the_waiting_room_needs_a_login(client, concert):
    response = client.get(room_url(concert))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_waiting_room_page_renders_with_a_token_for_the_fan(client, user, concert):
    client.force_login(user)
    response = client.get(room_url(concert))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Waiting room" in html
    assert 'aria-live="polite"' in html
    assert "queueing/room.js" in html
    assert "<script>" not in html  # CSP: no inline scripts
    assert reverse("bookings:select", kwargs={"concert_id": concert.pk}) in html
    token = re.search(r'data-access-token="([^"]+)"', html).group(1)
    assert str(AccessToken(token)["user_id"]) == str(user.pk)
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_page_shows_the_place_of_a_fan_in_line(client, user, concert):
    services.queue_join(user_id=user.pk, concert=concert)
    client.force_login(user)
    html = client.get(room_url(concert)).content.decode()
    assert 'data-initial-status="waiting"' in html
    assert re.search(r'data-field="position"[^>]*>1<', html)


def test_the_page_shows_the_turn_and_the_countdown(client, user, concert):
    services.queue_join(user_id=user.pk, concert=concert)
    services.queue_admit_next(concert_id=concert.pk)
    client.force_login(user)
    html = client.get(room_url(concert)).content.decode()
    assert "It&#x27;s your turn" in html or "It's your turn" in html
    assert 'data-initial-status="active"' in html
    assert 'data-active-until="20' in html


def test_the_page_explains_the_prequeue(client, user, upcoming_concert):
    services.queue_join(user_id=user.pk, concert=upcoming_concert)
    client.force_login(user)
    html = client.get(room_url(upcoming_concert)).content.decode()
    assert "your place will be drawn at sale start, in a" in html
    assert "draw anyone can check" in html


def test_posting_the_page_joins_without_javascript(client, user, concert):
    client.force_login(user)
    response = client.post(room_url(concert))
    assert response.status_code == 302
    assert services.queue_status(user_id=user.pk, concert_id=concert.pk).position == 1


def test_posting_too_early_shows_the_reason(client, user):
    from datetime import timedelta

    from django.utils import timezone

    concert = ConcertFactory(sale_starts_at=timezone.now() + timedelta(days=2))
    client.force_login(user)
    response = client.post(room_url(concert), follow=True)
    assert "not open yet" in response.content.decode() or "opens at" in response.content.decode()


def test_an_unknown_concert_is_404(client, user):
    client.force_login(user)
    assert client.get("/queue/987654/").status_code == 404


def test_leaving_from_the_page(client, user, concert):
    services.queue_join(user_id=user.pk, concert=concert)
    client.force_login(user)
    response = client.post(reverse("queueing:leave", kwargs={"concert_id": concert.pk}))
    assert response.status_code == 302
    assert services.queue_status(user_id=user.pk, concert_id=concert.pk).status == "none"


def test_the_page_can_get_a_fresh_token(client, user, concert):
    client.force_login(user)
    response = client.get(reverse("queueing:token", kwargs={"concert_id": concert.pk}))
    assert response.status_code == 200
    assert str(AccessToken(response.json()["access"])["user_id"]) == str(user.pk)


def test_the_page_carries_the_server_clock_the_countdown_the_banner_and_the_leave_dialog(
    client, user, time_machine
):
    time_machine.move_to("2030-05-01 12:00:00+00:00", tick=False)
    concert = ConcertFactory(sale_starts_at=timezone.now() + timedelta(minutes=10))
    client.force_login(user)
    html = client.get(room_url(concert)).content.decode()
    # The pre-queue countdown counts from the server's clock, not the fan's alone.
    assert 'data-server-now="1903867200000"' in html
    assert 'data-sale-starts-at="2030-05-01T12:10:00+00:00"' in html
    assert 'role="timer"' in html
    # Lost connection is announced from a live region that is always in the page.
    assert re.search(r'role="status"[^>]*data-field="connection"', html)
    # Leaving asks first, in a <dialog> labelled by its heading.
    assert '<dialog class="room-dialog" data-leave-dialog aria-labelledby="leave-title"' in html
    assert 'value="leave"' in html
    assert "Alert me when it&#x27;s my turn" in html or "Alert me when it's my turn" in html


def test_leaving_without_javascript_still_works(client, user, concert):
    services.queue_join(user_id=user.pk, concert=concert)
    client.force_login(user)
    response = client.post(reverse("queueing:leave", kwargs={"concert_id": concert.pk}))
    assert response.status_code == 302
    state = services.queue_status(user_id=user.pk, concert_id=concert.pk)
    assert state.is_out
