"""The door: a ticket of another concert is refused with a clear message, a typed lowercase
code is admitted at the right door, undone, and the counts follow; box-office staff see
an admin made for them, and cancel-with-refund asks first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAFF_PASSWORD = "door-staff-window-42"


def test_a_ticket_is_refused_at_the_wrong_concerts_door_and_a_typed_code_admitted_at_the_right_one(
    site, page, journey, concerts, make_user, locked
):
    right, wrong = concerts["on_sale"], concerts["later"]
    with locked():
        from types import SimpleNamespace

        from django.apps import apps
        from django.contrib.auth.models import Group
        from django.db import connection
        from django.utils import timezone

        from concerts.models import Concert
        from concerts.permissions import BOX_OFFICE_STAFF_GROUP, create_box_office_staff_group
        from tests.factories import BookingFactory, TicketFactory

        # A transactional test before this one may have flushed the migration's group.
        create_box_office_staff_group(apps, SimpleNamespace(connection=connection))

        staff = make_user(
            email="door@example.com", password=STAFF_PASSWORD, first_name="Dora", is_staff=True
        )
        staff.groups.add(Group.objects.get(name=BOX_OFFICE_STAFF_GROUP))
        Concert.objects.filter(pk=right.pk).update(doors_open_at=timezone.now())
        seated = right.categories.get(name="Seated")
        booking = BookingFactory(category=seated, confirmed=True, quantity=2)
        admitted_ticket, other_ticket = TicketFactory.create_batch(2, booking=booking)
        wrong_ticket = TicketFactory(
            booking=BookingFactory(category=wrong.categories.first(), confirmed=True, quantity=1)
        )

    # Box-office staff sign in: the admin shows them what they use, branded.
    page.goto("/admin/")
    page.get_by_label("Email address").fill("door@example.com")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Box office")).to_be_visible()
    expect(page.get_by_role("link", name="boxoffice staff")).to_be_visible()
    expect(page.get_by_text(re.compile("periodic tasks|tokens", re.I))).to_have_count(0)
    journey.step(page, "admin index as box-office staff")

    # The door picks its concert and names itself.
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Check-in").click()
    page.get_by_label("Concert").select_option(str(right.pk))
    page.get_by_label("Door or entrance (optional)").fill("North gate")
    journey.step(page, "door picks the concert")
    page.get_by_role("button", name="Open the door").click()
    counts = page.locator("#checkin-counts")
    expect(counts).to_contain_text("0 checked in of 2 sold")

    # A ticket for another concert: refused, in large red, naming that concert.
    page.get_by_label("Ticket code").fill(wrong_ticket.code)
    page.get_by_role("button", name="Check in", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Wrong concert")
    expect(alert).to_contain_text(wrong.name)
    expect(alert).to_contain_text("Do not admit")
    journey.step(page, "refused at the wrong concert's door")

    # The right ticket, typed in lowercase with spaces: admitted.
    typed = admitted_ticket.code.lower().replace("-", " ")
    page.get_by_label("Ticket code").fill(typed)
    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Checked in")
    expect(counts).to_contain_text("1 checked in of 2 sold")
    journey.step(page, "typed lowercase code admitted")

    # Admitted by mistake: undo; the ticket is valid again.
    page.get_by_role("button", name="Undo this check-in").click()
    expect(page.get_by_role("alert")).to_contain_text("Check-in undone")
    expect(counts).to_contain_text("0 checked in of 2 sold")
    journey.step(page, "check-in undone")

    # Another door admits a ticket: this door's counts follow without a reload.
    with locked():
        from bookings import services

        services.ticket_check_in(code=other_ticket.code, concert_id=right.pk, door="South")
    expect(counts).to_contain_text("1 checked in of 2 sold", timeout=12_000)

    with locked():
        from bookings.models import Ticket
        from config.audit import audit_entries

        assert Ticket.objects.get(pk=admitted_ticket.pk).status == Ticket.Status.VALID
        assert Ticket.objects.get(pk=wrong_ticket.pk).status == Ticket.Status.VALID
        assert [e.user_id for e in audit_entries(admitted_ticket)] == [staff.pk]

    # The admin's lists fit a 1280 px screen; cancel with refund asks first, with a reason.
    for changelist in ("/admin/concerts/concert/", "/admin/bookings/booking/"):
        page.goto(changelist)
        assert page.viewport_size["width"] == 1280
        # no horizontal scrolling: every column is on screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        assert (
            page.evaluate("document.querySelector('#result_list').getBoundingClientRect().right")
            <= 1280
        )
        journey.step(page, f"admin list {changelist.split('/')[-2]}")
    page.goto(f"/admin/bookings/booking/?q={booking.reference}")
    page.locator("#result_list tbody tr").filter(has_text=booking.reference).get_by_role(
        "checkbox"
    ).check()
    page.get_by_label("Action:").select_option("cancel_with_refund")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Cancel with refund: are you sure?")).to_be_visible()
    expect(page.get_by_label(re.compile("Reason"))).to_be_visible()
    journey.step(page, "cancel with refund asks for a reason")
    page.get_by_role("link", name="No, take me back").click()
    with locked():
        from bookings.models import Booking

        assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
