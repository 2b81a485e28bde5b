"""The booking admin staff rely on: resend tickets, the attendee CSV, the audit trail."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from bookings.models import Ticket
from concerts.permissions import BOX_OFFICE_STAFF_GROUP
from config.audit import audit_entries
from tests.factories import BookingFactory, ConcertFactory, FanFactory, TicketFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:bookings_booking_changelist"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_resend_tickets_emails_confirmed_bookings_and_audits_it(
    staff_client, staff_user, mailoutbox, django_capture_on_commit_callbacks
):
    confirmed = BookingFactory(confirmed=True, quantity=2)
    TicketFactory.create_batch(2, booking=confirmed)
    pending = BookingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse(CHANGELIST),
            {"action": "resend_tickets", "_selected_action": [confirmed.pk, pending.pk]},
            follow=True,
        )
    html = response.content.decode()
    assert f"Tickets resent for {confirmed.reference}" in html
    assert f"Skipped, not confirmed: {pending.reference}" in html
    assert [m.to for m in mailoutbox] == [[confirmed.user.email]]
    assert [(e.user, e.change_message) for e in audit_entries(confirmed)] == [
        (staff_user, "Tickets resent by email.")
    ]
    assert audit_entries(pending) == []


def test_attendee_csv_lists_every_booking_of_the_concert(
    staff_client, django_assert_max_num_queries
):
    concert = ConcertFactory(name="Night One")
    fan = FanFactory(first_name="=HYPERLINK(1)", last_name="X")
    booking = BookingFactory(user=fan, category__concert=concert, confirmed=True, quantity=2)
    first, second = TicketFactory.create_batch(2, booking=booking)
    TicketFactory(booking=booking, void=True)
    Ticket.objects.filter(pk=first.pk).update(status=Ticket.Status.CHECKED_IN)
    BookingFactory(category__concert=concert)  # pending
    BookingFactory(confirmed=True)  # another concert
    url = reverse("admin:bookings_attendees_csv", args=[concert.pk])
    with django_assert_max_num_queries(12):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attendees-night-one-" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 2
    row = next(r for r in rows if r["booking_reference"] == booking.reference)
    assert row["name"].startswith("'=HYPERLINK")  # never run as a formula
    assert row["email"] == fan.email
    assert row["quantity"] == "2"
    assert row["status"] == "confirmed"
    assert first.code in row["ticket_codes"]
    assert second.code in row["ticket_codes"]
    assert row["checked_in"] == "1"


def test_attendee_csv_is_staff_only(client, user):
    concert = ConcertFactory()
    client.force_login(user)
    response = client.get(reverse("admin:bookings_attendees_csv", args=[concert.pk]))
    assert response.status_code == 302  # to the admin login


def test_box_office_staff_can_export_and_resend(client, make_user):
    member = make_user(is_staff=True)
    member.groups.add(Group.objects.get(name=BOX_OFFICE_STAFF_GROUP))
    client.force_login(member)
    concert = BookingFactory(confirmed=True).concert
    assert client.get(reverse("admin:bookings_attendees_csv", args=[concert.pk])).status_code == 200
    changelist = client.get(reverse(CHANGELIST)).content.decode()
    assert "resend_tickets" in changelist
    assert "cancel_with_refund" in changelist


def test_the_concert_page_links_the_staff_pages(staff_client):
    concert = ConcertFactory()
    html = staff_client.get(reverse("admin:concerts_concert_change", args=[concert.pk])).content
    html = html.decode()
    assert reverse("admin:queueing_live", args=[concert.pk]) in html
    assert reverse("admin:bookings_attendees_csv", args=[concert.pk]) in html
    assert f"{reverse('bookings:checkin')}?concert={concert.pk}" in html
    assert 'name="doors_open_at_0"' in html
