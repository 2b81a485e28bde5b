"""Tickets to keep: the booking's tickets as a PDF (one page per ticket) and the concert
as an iCalendar event. Built from a booking loaded with user, concert, category and
tickets (selectors.booking_for_email / booking_get_by_reference); no queries of their own
beyond those relations."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from bookings.models import Booking
from bookings.qr import ticket_qr_png
from config.formatting import format_venue_time, zone_of

PDF_FILENAME = "tickets.pdf"
ICS_FILENAME = "concert.ics"
# A calendar needs an end; the concert has none, so the event lasts this long.
EVENT_DURATION = timedelta(hours=3)


def holder_name(booking: Booking) -> str:
    return booking.user.get_full_name() or booking.user.email


def tickets_pdf(booking: Booking) -> bytes:
    """One A5 page per ticket: QR code, concert, venue, local time with its zone,
    category and seat, holder, booking reference and the ticket's code."""
    concert = booking.concert
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A5, pageCompression=1)
    pdf.setTitle(f"Tickets {booking.reference}: {concert.name}")
    pdf.setAuthor("boxoffice")
    width, height = A5
    tickets = list(booking.tickets.all())
    when = format_venue_time(concert.starts_at, concert.timezone, "long")
    for number, ticket in enumerate(tickets, start=1):
        left, top = 15 * mm, height - 20 * mm
        pdf.setFont("Helvetica-Bold", 11)
        pdf.drawString(left, top, "boxoffice")
        pdf.setFont("Helvetica", 9)
        pdf.drawRightString(width - left, top, f"Ticket {number} of {len(tickets)}")
        pdf.setFont("Helvetica-Bold", 18)
        pdf.drawString(left, top - 14 * mm, concert.name[:60])
        pdf.setFont("Helvetica", 11)
        lines = [
            when,
            concert.venue,
            booking.category.name + (f", seat {ticket.seat_label}" if ticket.seat_label else ""),
            f"Holder: {holder_name(booking)}",
            f"Booking {booking.reference}",
        ]
        for index, line in enumerate(lines):
            pdf.drawString(left, top - (24 + 7 * index) * mm, line[:90])
        qr_size = 80 * mm
        pdf.drawImage(
            ImageReader(io.BytesIO(ticket_qr_png(ticket.code, scale=8))),
            (width - qr_size) / 2,
            25 * mm,
            qr_size,
            qr_size,
        )
        pdf.setFont("Courier", 9)
        pdf.drawCentredString(width / 2, 20 * mm, ticket.code)
        pdf.setFont("Helvetica", 8)
        pdf.drawCentredString(width / 2, 12 * mm, "One person, once. Show this code at the door.")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def booking_ics(booking: Booking) -> bytes:
    """A VEVENT at the venue's wall-clock time (TZID) with a VTIMEZONE; UID from the reference."""
    concert = booking.concert
    zone = zone_of(concert.timezone)
    starts = concert.starts_at.astimezone(zone)
    calendar = Calendar()
    calendar.add("prodid", "-//boxoffice//tickets//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{booking.reference}@{urlsplit(settings.SITE_URL).hostname or 'boxoffice'}")
    event.add("dtstamp", booking.confirmed_at or booking.created_at)
    event.add("dtstart", starts)
    event.add("dtend", starts + EVENT_DURATION)
    event.add("summary", concert.name)
    event.add("location", concert.venue)
    event.add(
        "description",
        f"Booking {booking.reference}: {booking.quantity} x {booking.category.name}.",
    )
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
