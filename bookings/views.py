"""Pages: pick seats while the queue slot lasts, the booking and its tickets, check-in."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from bookings import errors, selectors, services
from bookings.forms import CheckinForm, SelectSeatsForm
from bookings.models import Booking, Ticket
from bookings.presenters import ticket_summary
from bookings.qr import ticket_qr_svg
from concerts.errors import ConcertNotFound
from concerts.selectors import concert_get
from config.errors import DomainError
from config.views import messages_add_error
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
        return redirect("queueing:room", concert_id=concert.pk)

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
    bookings = selectors.booking_list_confirmed(user=request.user)
    return render(
        request,
        "bookings/mine.html",
        {
            "bookings": [{"booking": b, "tickets": _tickets_with_qr(b)} for b in bookings],
            "pending": selectors.booking_pending_find(user=request.user),
        },
    )


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
}


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request):
    if not request.user.is_staff:
        raise PermissionDenied
    form = CheckinForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        ticket, checked_in_at = None, None
        try:
            ticket_row = services.ticket_check_in(code=code)
            outcome = Ticket.Status.CHECKED_IN
            ticket, checked_in_at = ticket_summary(ticket_row), ticket_row.checked_in_at
        except errors.TicketAlreadyCheckedIn as exc:
            outcome, ticket = exc.code, exc.extra.get("ticket")
            checked_in_at = parse_datetime(exc.extra.get("checked_in_at") or "")
        except (errors.TicketVoid, errors.UnknownTicket) as exc:
            outcome, ticket = exc.code, exc.extra.get("ticket")
        tone, title, advice = CHECKIN_RESULTS[outcome]
        result = {
            "outcome": outcome,
            "already_checked_in": outcome == errors.TicketAlreadyCheckedIn.code,
            "tone": tone,
            "title": title,
            "advice": advice,
            "ticket": ticket,
            "code": code,
            "checked_in_at": checked_in_at,
        }
        form = CheckinForm()  # empty and focused for the next scan
    return render(request, "bookings/checkin.html", {"form": form, "result": result})
