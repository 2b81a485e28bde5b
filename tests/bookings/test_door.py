"""The door: Crockford ticket codes typed forgivingly, the concert and door window a door
serves, undo (audited), live counts; the API and the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from bookings import errors, selectors, services
from bookings.models import (
    TICKET_CODE_ALPHABET,
    Ticket,
    new_ticket_code,
    ticket_code_candidates,
    ticket_code_normalise,
)
from config.audit import audit_entries
from tests.factories import ConcertFactory, TicketFactory

pytestmark = pytest.mark.django_db

CODE_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
OLD_CODE = "Zx_9aB-cD3eF4gH5iJ6kL7"  # token_urlsafe(16), as issued before the change


@pytest.fixture
def door_open_concert():
    """A concert whose doors opened a minute ago."""
    return ConcertFactory(
        starts_at=timezone.now() + timedelta(hours=1),
        doors_open_at=timezone.now() - timedelta(minutes=1),
    )


@pytest.fixture
def ticket(door_open_concert):
    return TicketFactory(booking__concert=door_open_concert)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


# --- codes ---------------------------------------------------------------------------------


def test_new_codes_are_grouped_crockford_with_80_bits():
    codes = {new_ticket_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(CODE_SHAPE.match(code) for code in codes)
    assert len(TICKET_CODE_ALPHABET) == 32  # 5 bits a symbol, 16 symbols
    assert not set("ILOU") & set(TICKET_CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("abcd-efgh-jkmn-pqrs", "ABCD-EFGH-JKMN-PQRS"),
        ("  abcd efgh jkmn pqrs ", "ABCD-EFGH-JKMN-PQRS"),
        ("ABCDEFGHJKMNPQRS", "ABCD-EFGH-JKMN-PQRS"),
        ("o1il-0000-1111-2222", "0111-0000-1111-2222"),  # O -> 0, I and L -> 1
    ],
)
def test_typed_codes_are_normalised(typed, stored):
    assert ticket_code_normalise(typed) == stored


@pytest.mark.parametrize("typed", ["", "ABCD-EFGH-JKMN", "ABCD-EFGH-JKMN-PQRU", OLD_CODE])
def test_what_cannot_be_a_crockford_code_is_not_normalised(typed):
    assert ticket_code_normalise(typed) is None


def test_a_lowercase_spaced_code_checks_in(ticket):
    typed = ticket.code.lower().replace("-", " ")
    assert services.ticket_check_in(code=typed).pk == ticket.pk


def test_an_old_format_code_still_checks_in_exactly_as_issued(door_open_concert):
    old = TicketFactory(booking__concert=door_open_concert, code=OLD_CODE)
    assert ticket_code_candidates(OLD_CODE) == {OLD_CODE}
    with pytest.raises(errors.UnknownTicket):  # old codes are case-sensitive: no guessing
        services.ticket_check_in(code=OLD_CODE.lower())
    assert services.ticket_check_in(code=f" {OLD_CODE} ").pk == old.pk


# --- the concert and the door window --------------------------------------------------------


def test_a_ticket_of_another_concert_is_refused_and_names_its_concert(ticket):
    other = ConcertFactory(name="Other Night")
    with pytest.raises(errors.TicketWrongConcert) as caught:
        services.ticket_check_in(code=ticket.code, concert_id=other.pk)
    assert caught.value.extra["concert"] == ticket.booking.concert.name
    assert ticket.booking.concert.name in caught.value.message
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.VALID


def test_the_right_concert_admits_and_records_the_door(ticket):
    admitted = services.ticket_check_in(
        code=ticket.code, concert_id=ticket.booking.concert_id, door="North gate"
    )
    assert admitted.status == Ticket.Status.CHECKED_IN
    assert admitted.checked_in_door == "North gate"


def test_outside_the_door_window_is_refused(settings):
    settings.CHECKIN_OPENS_BEFORE_MINUTES = 60
    settings.CHECKIN_CLOSES_AFTER_MINUTES = 120
    starts = timezone.now() + timedelta(hours=3)
    ticket = TicketFactory(booking__concert=ConcertFactory(starts_at=starts))
    concert_id = ticket.booking.concert_id
    with pytest.raises(errors.OutsideDoorWindow) as caught:
        services.ticket_check_in(code=ticket.code, concert_id=concert_id)
    assert "doors_open_at" in caught.value.extra
    # opens 60 minutes before the start (no doors_open_at), closes 120 minutes after it
    with pytest.raises(errors.OutsideDoorWindow):
        services.ticket_check_in(
            code=ticket.code, concert_id=concert_id, now=starts + timedelta(minutes=121)
        )
    at = starts - timedelta(minutes=60)
    assert services.ticket_check_in(code=ticket.code, concert_id=concert_id, now=at).pk
    assert selectors.door_window(concert=ticket.booking.concert) == (
        starts - timedelta(minutes=60),
        starts + timedelta(minutes=120),
    )


def test_doors_open_at_overrides_the_default_opening():
    starts = timezone.now() + timedelta(hours=5)
    concert = ConcertFactory(starts_at=starts, doors_open_at=starts - timedelta(hours=4))
    assert selectors.door_window(concert=concert)[0] == starts - timedelta(hours=4)


def test_without_a_concert_the_api_behaves_as_before(settings):
    ticket = TicketFactory()  # plays in 30 days: outside its window, but no door was named
    assert services.ticket_check_in(code=ticket.code).status == Ticket.Status.CHECKED_IN


# --- undo and counts ------------------------------------------------------------------------


def test_undo_makes_the_ticket_valid_again_once(ticket):
    services.ticket_check_in(code=ticket.code, door="A")
    undone = services.ticket_check_in_undo(code=ticket.code.lower())
    assert (undone.status, undone.checked_in_at, undone.checked_in_door) == (
        Ticket.Status.VALID,
        None,
        "",
    )
    with pytest.raises(errors.TicketNotCheckedIn):
        services.ticket_check_in_undo(code=ticket.code)
    assert services.ticket_check_in(code=ticket.code).status == Ticket.Status.CHECKED_IN


def test_undo_refuses_void_and_unknown(door_open_concert):
    void = TicketFactory(booking__concert=door_open_concert, void=True)
    with pytest.raises(errors.TicketVoid):
        services.ticket_check_in_undo(code=void.code)
    with pytest.raises(errors.UnknownTicket):
        services.ticket_check_in_undo(code="nope")


def test_stats_count_checked_in_and_sold_in_one_query(door_open_concert, django_assert_num_queries):
    TicketFactory.create_batch(2, booking__concert=door_open_concert, checked_in=True)
    TicketFactory.create_batch(3, booking__concert=door_open_concert)
    TicketFactory(booking__concert=door_open_concert, void=True)
    TicketFactory(checked_in=True)  # another concert
    with django_assert_num_queries(1):
        stats = selectors.checkin_stats(concert_id=door_open_concert.pk)
    assert stats == {"checked_in": 2, "sold": 5}


# --- API ------------------------------------------------------------------------------------


def test_api_refuses_the_wrong_concert_and_admits_at_the_right_one(staff_client, ticket):
    other = ConcertFactory()
    wrong = staff_client.post(
        "/api/v1/checkin/", {"code": ticket.code, "concert_id": other.pk}, "application/json"
    )
    assert wrong.status_code == 409
    assert wrong.json()["code"] == "wrong_concert"
    assert wrong.json()["concert"] == ticket.booking.concert.name
    right = staff_client.post(
        "/api/v1/checkin",
        {"code": ticket.code.lower(), "concert_id": ticket.booking.concert_id, "door": "B"},
        "application/json",
    )
    assert right.status_code == 200
    assert right.json()["ticket"]["code"] == ticket.code


def test_api_outside_the_window_is_409(staff_client):
    ticket = TicketFactory()  # plays in 30 days
    response = staff_client.post(
        "/api/v1/checkin",
        {"code": ticket.code, "concert_id": ticket.booking.concert_id},
        "application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "outside_door_window"
    assert response.json()["doors_open_at"].endswith("Z")


def test_api_undo_is_audited_on_the_ticket(staff_client, staff_user, ticket):
    services.ticket_check_in(code=ticket.code)
    response = staff_client.post("/api/v1/checkin/undo", {"code": ticket.code}, "application/json")
    assert response.status_code == 200
    assert response.json()["result"] == "valid"
    [entry] = audit_entries(ticket)
    assert entry.user == staff_user
    assert entry.change_message == services.CHECKIN_UNDO_AUDIT
    again = staff_client.post("/api/v1/checkin/undo", {"code": ticket.code}, "application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "not_checked_in"
    assert LogEntry.objects.count() == 1  # a refused undo changes nothing, logs nothing


def test_api_stats(staff_client, ticket):
    services.ticket_check_in(code=ticket.code)
    concert_id = ticket.booking.concert_id
    response = staff_client.get(f"/api/v1/checkin/stats?concert_id={concert_id}")
    assert response.json() == {"concert_id": concert_id, "checked_in": 1, "sold": 1}
    assert staff_client.get("/api/v1/checkin/stats").status_code == 400


def test_door_apis_are_staff_only(client, user, ticket):
    client.force_login(user)
    assert client.post("/api/v1/checkin/undo", {"code": ticket.code}).status_code == 403
    assert client.get("/api/v1/checkin/stats?concert_id=1").status_code == 403


# --- the page -------------------------------------------------------------------------------


def test_page_asks_for_the_concert_first(staff_client, door_open_concert):
    html = staff_client.get(reverse("bookings:checkin")).content.decode()
    assert 'id="door-form"' in html
    assert door_open_concert.name in html
    assert 'name="code"' not in html


def test_page_refuses_a_ticket_of_another_concert_and_undoes_an_admission(
    staff_client, staff_user, ticket
):
    other = TicketFactory(booking__concert=ConcertFactory(name="Other Night"))
    url = reverse("bookings:checkin") + f"?concert={ticket.booking.concert_id}&door=North"
    page = staff_client.get(url).content.decode()
    assert "0</span> checked in of" in page
    refused = staff_client.post(url, {"code": other.code}).content.decode()
    assert "Wrong concert" in refused
    assert "Other Night" in refused
    admitted = staff_client.post(url, {"code": ticket.code.lower()}).content.decode()
    assert "checkin-ok" in admitted
    assert "Undo this check-in" in admitted
    assert "1</span> checked in of" in admitted
    ticket.refresh_from_db()
    assert ticket.checked_in_door == "North"
    undone = staff_client.post(url, {"code": ticket.code, "action": "undo"}).content.decode()
    assert "Check-in undone" in undone
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.VALID
    assert [e.user for e in audit_entries(ticket)] == [staff_user]


def test_page_serves_the_qr_decoder_locally(staff_client, ticket):
    url = reverse("bookings:checkin") + f"?concert={ticket.booking.concert_id}"
    html = staff_client.get(url).content.decode()
    assert "vendor/jsqr/jsQR.js" in html
    assert "<script>" not in html  # CSP: no inline script
