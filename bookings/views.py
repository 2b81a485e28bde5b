"""Pages: pick seats while the queue slot lasts, the booking and its tickets, check-in."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from bookings import documents, errors, selectors, services
from bookings.forms import CheckinForm, DoorForm, SelectSeatsForm
from bookings.models import Booking, Ticket
from bookings.presenters import booking_status_badge, ticket_summary
from bookings.qr import ticket_qr_svg
from concerts.errors import ConcertNotFound
from concerts.models import Concert
from concerts.selectors import concert_get
from config.audit import audit_log
from config.errors import DomainError
from config.views import message_for_error, messages_add_error
from queueing import services as queue_services


def _tickets_with_qr(booking: Booking) -> list[dict]:
    if booking.status != Booking.Status.CONFIRMED:
        return []
    return [{"ticket": t, "qr": ticket_qr_svg(t.code)} for t in booking.tickets.all()]


@login_required
@require_http_methods(["GET", "POST"])
def select(request, concert_id: int):
    try:
        concert = concert_get(concert_id=concert_id)
    except ConcertNotFound as exc:
        raise Http404(exc.message) from exc
    active_until = queue_services.queue_slot_active_until(
        user_id=request.user.pk, concert_id=concert.pk
    )
    if active_until is None:
        messages.info(request, "Your turn to choose seats has not come yet, or it is over.")
        # Not back into the line behind the fan's back: the room offers to join again.
        return redirect(reverse("queueing:room", args=[concert.pk]) + "?from=seats")

    pending = selectors.booking_pending_find(user=request.user)
    limits = selectors.booking_quantity_limits(user_id=request.user.pk, concert=concert)
    form = SelectSeatsForm(request.POST or None, limits=limits)
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_create(
                user=request.user,
                category_id=form.cleaned_data["category"],
                quantity=form.cleaned_data["quantity"],
            )
        except errors.QueueSlotRequired as exc:
            messages_add_error(request, exc)
            return redirect("queueing:room", concert_id=concert.pk)
        except DomainError as exc:
            messages_add_error(request, exc)
            return redirect("bookings:select", concert_id=concert.pk)
        return redirect("checkout:checkout", booking_id=booking.pk)
    return render(
        request,
        "bookings/select.html",
        {
            "concert": concert,
            "form": form,
            "active_until": active_until,
            "pending": pending,
            "held": limits.held,
            "allowance": limits.allowance,
            "limits": limits,
            "max_per_fan": settings.MAX_TICKETS_PER_FAN,
            "hold_minutes": max(1, settings.BOOKING_HOLD_SECONDS // 60),
        },
    )


@login_required
def detail(request, reference: str):
    try:
        booking = selectors.booking_get_by_reference(user=request.user, reference=reference)
    except errors.BookingNotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "bookings/detail.html",
        {"booking": booking, "tickets": _tickets_with_qr(booking)},
    )


@login_required
@require_POST
def cancel(request, reference: str):
    pending = selectors.booking_pending_find(user=request.user)
    if pending is None or pending.reference != reference:
        messages.error(request, "This booking is no longer waiting for payment.")
        return redirect("bookings:detail", reference=reference)
    try:
        services.booking_cancel(user=request.user)
    except errors.BookingNotFound:
        messages.error(request, "This booking is no longer waiting for payment.")
    else:
        messages.success(request, f"Booking {reference} is cancelled; its seats are back on sale.")
    return redirect("bookings:detail", reference=reference)


@login_required
def mine(request):
    """Tickets of confirmed bookings first (soonest concert first), then the whole order
    history, cancelled, expired and refunded bookings included."""
    history = selectors.booking_list_history(user=request.user)
    confirmed = sorted(
        (b for b in history if b.status == Booking.Status.CONFIRMED),
        key=lambda b: (b.concert.starts_at, -(b.confirmed_at or b.created_at).timestamp()),
    )
    pending = next((b for b in history if b.status == Booking.Status.PENDING), None)
    return render(
        request,
        "bookings/mine.html",
        {
            "bookings": [{"booking": b, "tickets": _tickets_with_qr(b)} for b in confirmed],
            "pending": pending,
            "history": [{"booking": b, "badge": booking_status_badge(b)} for b in history],
        },
    )


@login_required
def tickets_pdf(request, reference: str):
    """The confirmed booking's tickets as a PDF, a page per ticket."""
    booking = _document_booking(request, reference)
    return HttpResponse(
        documents.tickets_pdf(booking),
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{booking.reference}-tickets.pdf"'},
    )


@login_required
def calendar_ics(request, reference: str):
    """The concert of a confirmed booking as an iCalendar event."""
    booking = _document_booking(request, reference)
    return HttpResponse(
        documents.booking_ics(booking),
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{booking.reference}.ics"'},
    )


def _document_booking(request, reference: str) -> Booking:
    try:
        return selectors.booking_document_get(user=request.user, reference=reference)
    except errors.BookingNotFound as exc:
        raise Http404(exc.message) from exc


# By outcome: the ticket's new status, or the code of the error that refused it.
CHECKIN_RESULTS = {
    Ticket.Status.CHECKED_IN: ("ok", "Checked in", "Welcome! Let them in."),
    errors.TicketAlreadyCheckedIn.code: (
        "warn",
        "Already checked in",
        "This ticket was used before.",
    ),
    errors.TicketVoid.code: ("danger", "Void ticket", "This booking was cancelled. Do not admit."),
    errors.UnknownTicket.code: (
        "danger",
        "Unknown ticket",
        "No ticket has this code. Do not admit.",
    ),
    errors.TicketWrongConcert.code: (
        "danger",
        "Wrong concert",
        "Do not admit: send them to the right door.",
    ),
    errors.OutsideDoorWindow.code: (
        "danger",
        "Doors not open",
        "Do not admit now.",
    ),
    Ticket.Status.VALID: ("info", "Check-in undone", "The ticket is valid again."),
    errors.TicketNotCheckedIn.code: ("warn", "Nothing to undo", "This ticket is not checked in."),
}
CHECKIN_REFUSALS = (
    errors.TicketVoid,
    errors.UnknownTicket,
    errors.TicketWrongConcert,
    errors.OutsideDoorWindow,
    errors.TicketNotCheckedIn,
)


def _door(request) -> tuple[DoorForm, Concert | None, str]:
    """The concert and door this device serves, from the query string (?concert=&door=)."""
    concerts = selectors.concerts_for_the_door()
    door_form = DoorForm(request.GET or None, concerts=concerts)
    if not door_form.is_valid():
        return door_form, None, ""
    concert_id = door_form.cleaned_data["concert"]
    concert = next(c for c in concerts if c.pk == concert_id)
    return door_form, concert, door_form.cleaned_data["door"]


def _checkin_result(*, code: str, concert: Concert, door: str, undo: bool, user) -> dict:
    ticket, checked_in_at, message = None, None, None
    try:
        if undo:
            ticket_row = services.ticket_check_in_undo(code=code)
            audit_log(user=user, obj=ticket_row, message=services.CHECKIN_UNDO_AUDIT)
            outcome = Ticket.Status.VALID
        else:
            ticket_row = services.ticket_check_in(code=code, concert_id=concert.pk, door=door)
            outcome = Ticket.Status.CHECKED_IN
            checked_in_at = ticket_row.checked_in_at
        ticket = ticket_summary(ticket_row)
    except errors.TicketAlreadyCheckedIn as exc:
        outcome, ticket = exc.code, exc.extra.get("ticket")
        checked_in_at = parse_datetime(exc.extra.get("checked_in_at") or "")
    except CHECKIN_REFUSALS as exc:
        outcome, ticket, message = exc.code, exc.extra.get("ticket"), message_for_error(exc)
    tone, title, advice = CHECKIN_RESULTS[outcome]
    return {
        "outcome": outcome,
        "admitted": outcome == Ticket.Status.CHECKED_IN,
        "already_checked_in": outcome == errors.TicketAlreadyCheckedIn.code,
        "tone": tone,
        "title": title,
        "advice": advice,
        "detail": message,
        "ticket": ticket,
        "code": code,
        "checked_in_at": checked_in_at,
    }


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request):
    """The door: pick the concert (and door) once, then scan or type codes. Every result
    is one large banner; an admission can be undone at once (written to the audit log)."""
    if not request.user.is_staff:
        raise PermissionDenied
    door_form, concert, door = _door(request)
    if concert is None:
        return render(request, "bookings/checkin.html", {"door_form": door_form})
    form = CheckinForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = _checkin_result(
            code=form.cleaned_data["code"],
            concert=concert,
            door=door,
            undo=request.POST.get("action") == "undo",
            user=request.user,
        )
        form = CheckinForm()  # empty and focused for the next scan
    opens, closes = selectors.door_window(concert=concert)
    context = {
        "door_form": door_form,
        "concert": concert,
        "door": door,
        "doors_open_at": opens,
        "doors_close_at": closes,
        "stats": selectors.checkin_stats(concert_id=concert.pk),
        "form": form,
        "result": result,
    }
    return render(request, "bookings/checkin.html", context)
