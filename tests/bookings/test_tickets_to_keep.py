"""Tickets to keep: the PDF and calendar file (attached and downloadable), venue times and
money on the booking pages, and My tickets' whole order history."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from icalendar import Calendar
from pypdf import PdfReader

from bookings.documents import booking_ics, tickets_pdf
from bookings.emails import booking_confirmation_email
from bookings.models import Booking
from bookings.selectors import booking_for_email
from concerts.models import Concert
from tests.factories import BookingFactory, TicketCategoryFactory, TicketFactory

pytestmark = pytest.mark.django_db

# 04:00 UTC on 22 December 2026 is 20:00 on the 21st in Los Angeles.
SHOW_UTC = datetime(2026, 12, 22, 4, 0, tzinfo=UTC)


@pytest.fixture
def la_category():
    category = TicketCategoryFactory(
        name="Floor", price=Decimal("120.00"), total_seats=50, concert__venue="Riverside Arena"
    )
    Concert.objects.filter(pk=category.concert_id).update(
        starts_at=SHOW_UTC, timezone="America/Los_Angeles"
    )
    category.concert.refresh_from_db()
    return category


@pytest.fixture
def confirmed(user, la_category):
    booking = BookingFactory(user=user, category=la_category, quantity=3, confirmed=True)
    TicketFactory(booking=booking, seat_label="A1")
    TicketFactory(booking=booking, seat_label="A2")
    TicketFactory(booking=booking)
    return booking_for_email(booking_id=booking.pk)


@pytest.fixture
def fan_client(client, user):
    client.force_login(user)
    return client


def _pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_the_pdf_has_a_page_per_ticket_with_what_the_door_and_the_fan_need(confirmed):
    pages = _pdf_text(tickets_pdf(confirmed))

    assert len(pages) == 3
    tickets = list(confirmed.tickets.all())
    for page, ticket in zip(pages, tickets, strict=True):
        assert confirmed.concert.name in page
        assert "Riverside Arena" in page
        assert "Monday 21 December 2026, 20:00 PST" in page
        assert "Floor" in page
        assert "Fran Fan" in page
        assert confirmed.reference in page
        assert ticket.code in page
    assert "seat A1" in pages[0]
    assert "seat A2" in pages[1]
    reader = PdfReader(io.BytesIO(tickets_pdf(confirmed)))
    assert all(page.images for page in reader.pages)  # the QR code


def test_the_calendar_event_is_at_the_venue_time_in_its_zone(confirmed):
    calendar = Calendar.from_ical(booking_ics(confirmed))

    (event,) = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == SHOW_UTC
    assert str(start.tzinfo) == "America/Los_Angeles"
    assert (start.hour, start.minute) == (20, 0)
    assert event["dtstart"].params["TZID"] == "America/Los_Angeles"
    assert str(event["summary"]) == confirmed.concert.name
    assert str(event["location"]) == "Riverside Arena"
    assert str(event["uid"]).startswith(confirmed.reference + "@")
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["America/Los_Angeles"]


def test_the_confirmation_email_attaches_the_pdf_and_the_calendar_file(confirmed):
    message = booking_confirmation_email(confirmed)

    by_type = {part.get_content_type(): part for part in message.attachments}
    pdf, ics = by_type["application/pdf"], by_type["text/calendar"]
    assert pdf.get_filename() == "tickets.pdf"
    assert len(PdfReader(io.BytesIO(pdf.get_payload(decode=True))).pages) == 3
    assert ics.get_filename() == "concert.ics"
    assert Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")
    images = [p for p in message.attachments if p.get_content_type() == "image/png"]
    assert len(images) == 3  # the inline QR codes stay
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert "Monday 21 December 2026, 20:00 PST" in text
        assert "$360.00" in text
        assert "UTC" not in text


def test_the_confirmation_task_sends_it(confirmed, mailoutbox):
    from bookings.tasks import send_booking_confirmation_email

    send_booking_confirmation_email(booking_id=confirmed.pk)

    assert len(mailoutbox) == 1
    types = {part.get_content_type() for part in mailoutbox[0].attachments}
    assert {"application/pdf", "text/calendar", "image/png"} <= types


def test_a_fan_downloads_the_tickets_and_the_calendar_file(fan_client, confirmed):
    pdf = fan_client.get(reverse("bookings:tickets_pdf", args=[confirmed.reference]))
    ics = fan_client.get(reverse("bookings:calendar_ics", args=[confirmed.reference]))

    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert f'filename="{confirmed.reference}-tickets.pdf"' in pdf["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 3
    assert ics.status_code == 200
    assert ics["Content-Type"].startswith("text/calendar")
    assert Calendar.from_ical(ics.content).walk("VEVENT")


def test_downloads_are_the_owners_and_a_confirmed_bookings_only(
    client, fan_client, confirmed, make_user
):
    other = make_user(email="other@example.com")
    client.force_login(other)
    assert (
        client.get(reverse("bookings:tickets_pdf", args=[confirmed.reference])).status_code == 404
    )
    pending = BookingFactory(user=confirmed.user, category=confirmed.category, quantity=1)
    for name in ("bookings:tickets_pdf", "bookings:calendar_ics"):
        assert fan_client.get(reverse(name, args=[pending.reference])).status_code == 404


def test_the_booking_page_links_the_downloads_and_shows_venue_time_and_money(fan_client, confirmed):
    html = fan_client.get(reverse("bookings:detail", args=[confirmed.reference])).content.decode()

    assert "Download tickets (PDF)" in html
    assert "Add to calendar" in html
    assert "Mon 21 Dec 2026, 20:00 PST" in html
    assert 'data-venue-tz="America/Los_Angeles"' in html
    assert "$360.00" in html


def test_my_tickets_keeps_the_whole_order_history(fan_client, user, confirmed, la_category):
    cancelled = BookingFactory(user=user, category=la_category, quantity=1, cancelled=True)
    expired = BookingFactory(user=user, category=la_category, quantity=1, expired=True)
    refunded = BookingFactory(user=user, category=la_category, quantity=1, cancelled=True)
    Booking.objects.filter(pk=refunded.pk).update(refunded_at=SHOW_UTC)
    pending = BookingFactory(user=user, category=la_category, quantity=1)

    response = fan_client.get(reverse("bookings:mine"))

    html = response.content.decode()
    assert "Order history" in html
    history = [row["booking"].pk for row in response.context["history"]]
    assert set(history) == {confirmed.pk, cancelled.pk, expired.pk, refunded.pk, pending.pk}
    badges = {row["booking"].pk: row["badge"][0] for row in response.context["history"]}
    assert badges == {
        confirmed.pk: "Confirmed",
        cancelled.pk: "Cancelled",
        expired.pk: "Expired",
        refunded.pk: "Refunded",
        pending.pk: "Waiting for payment",
    }
    # the confirmed booking's tickets stay up front, with their downloads
    assert [item["booking"].pk for item in response.context["bookings"]] == [confirmed.pk]
    assert html.index("Download tickets (PDF)") < html.index("Order history")
    assert response.context["pending"].pk == pending.pk


def test_my_tickets_costs_the_same_queries_however_many_bookings(fan_client, user, la_category):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert fan_client.get(reverse("bookings:mine")).status_code == 200
        return len(queries)

    BookingFactory(user=user, category=la_category, quantity=1, confirmed=True)
    few = count()
    for _ in range(4):
        booking = BookingFactory(user=user, category=la_category, quantity=1, confirmed=True)
        TicketFactory(booking=booking)
        BookingFactory(user=user, category=la_category, quantity=1, cancelled=True)
    assert count() == few
