"""The booking emails as messages, apart from how they are scheduled (a task, an outbox)."""

from __future__ import annotations

from email.mime.application import MIMEApplication
from email.mime.text import MIMEText

from django.core.mail import EmailMultiAlternatives

from accounts.emails import build_email
from bookings.documents import ICS_FILENAME, PDF_FILENAME, booking_ics, tickets_pdf
from bookings.models import Booking
from bookings.qr import ticket_qr_png


def booking_confirmation_email(booking: Booking) -> EmailMultiAlternatives:
    """The confirmation: one inline QR code (PNG, by Content-ID) per ticket in the HTML
    part, and the tickets to keep attached: tickets.pdf (a page per ticket) and concert.ics."""
    tickets = list(booking.tickets.all())
    message = build_email(
        to=booking.user.email,
        template="bookings/email/confirmed",
        context={
            "booking": booking,
            "tickets": [{"ticket": t, "cid": f"ticket-{t.pk}"} for t in tickets],
            "user": booking.user,
        },
        inline_images=[(f"ticket-{t.pk}", ticket_qr_png(t.code), "png") for t in tickets],
    )
    # MIME parts (not (name, bytes, type) tuples), like the inline images beside them.
    pdf = MIMEApplication(tickets_pdf(booking), _subtype="pdf")
    pdf.add_header("Content-Disposition", "attachment", filename=PDF_FILENAME)
    message.attach(pdf)
    calendar = MIMEText(booking_ics(booking).decode(), "calendar", "utf-8")
    calendar.set_param("method", "PUBLISH")
    calendar.add_header("Content-Disposition", "attachment", filename=ICS_FILENAME)
    message.attach(calendar)
    return message


def booking_refund_email(booking: Booking) -> EmailMultiAlternatives:
    """Tell the fan their payment went back (late payment, cancelled booking, box office)."""
    return build_email(
        to=booking.user.email,
        template="bookings/email/refunded",
        context={"booking": booking, "user": booking.user},
    )
