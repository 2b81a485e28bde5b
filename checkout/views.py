"""Checkout pages: thin views over checkout.services and payments' intents."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bookings.models import Booking
from config.api import status_for_error
from config.errors import DomainError, NotFound
from config.views import message_for_error
from payments import selectors as payment_selectors
from payments.errors import BookingNotPending, PaymentNotCompleted, PaymentProviderError
from payments.models import Payment
from payments.providers.fake_provider import TEST_CARDS

from . import selectors, services

logger = logging.getLogger(__name__)

MSG_NOT_COMPLETED = (
    "Your payment has not completed yet. If you were charged, your booking is confirmed "
    "as soon as the payment provider tells us; otherwise try again."
)


def _flash_key(booking_id: int) -> str:
    return f"checkout-error-{booking_id}"


def _owned_booking(request: HttpRequest, booking_id: int):
    try:
        return selectors.booking_get_for_payment(user=request.user, booking_id=booking_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _hold_is_open(booking) -> bool:
    return booking.status == Booking.Status.PENDING and booking.expires_at > timezone.now()


def _render_checkout(
    request: HttpRequest, booking, *, error: str = "", status: int = 200
) -> HttpResponse:
    provider = settings.PAYMENT_PROVIDER
    payment: Payment | None = None
    hold_open = _hold_is_open(booking)
    if hold_open:
        try:
            payment = services.booking_payment_start(booking=booking)
        except BookingNotPending:
            hold_open = False
        except PaymentProviderError as exc:
            error = error or message_for_error(exc)
    else:
        payment = payment_selectors.payment_for_booking(booking_id=booking.pk)

    context = {
        "booking": booking,
        "concert": booking.concert,
        "category": booking.category,
        "payment": payment,
        "provider": provider,
        "hold_open": hold_open,
        "refunded": payment is not None and payment.status == Payment.Status.REFUNDED,
        "error": error,
        "test_cards": TEST_CARDS,
        "public_config": payment_selectors.payment_public_config(),
        "return_url": request.build_absolute_uri(
            reverse("checkout:return", kwargs={"booking_id": booking.pk})
        ),
        "seconds_left": max(0, int((booking.expires_at - timezone.now()).total_seconds())),
    }
    return render(request, "checkout/checkout.html", context, status=status)


@login_required
@require_GET
def checkout(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _owned_booking(request, booking_id)
    if booking.status == Booking.Status.CONFIRMED:
        return redirect("bookings:detail", reference=booking.reference)
    # A declined card's message, carried over the redirect once (see checkout_fake_pay).
    error = request.session.pop(_flash_key(booking.pk), "")
    return _render_checkout(request, booking, error=error)


@login_required
@require_POST
def checkout_fake_pay(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The fake provider's card form posts here (session + CSRF) and runs the same service
    as POST /api/v1/payment/fake/{id}/pay."""
    booking = _owned_booking(request, booking_id)
    if booking.status == Booking.Status.CONFIRMED:
        return redirect("bookings:detail", reference=booking.reference)
    if settings.PAYMENT_PROVIDER != Payment.Provider.FAKE:
        raise Http404("The fake payment provider is not enabled.")
    if not _hold_is_open(booking):
        return _render_checkout(request, booking, status=409)
    card_number = request.POST.get("card_number", "")[:64]
    try:
        payment = services.booking_payment_start(booking=booking)
        services.fake_payment_pay(payment_intent_id=payment.intent_id, card_number=card_number)
    except DomainError as exc:  # CardDeclined: the message on the checkout page
        # Post/redirect/get: reloading the page that says "declined" must not post the
        # card again, so the message rides the session to the checkout page's GET.
        request.session[_flash_key(booking.pk)] = message_for_error(exc)
        return redirect("checkout:checkout", booking_id=booking.pk)
    booking.refresh_from_db()
    if booking.status == Booking.Status.CONFIRMED:
        return redirect("bookings:detail", reference=booking.reference)
    # Paid, but the booking said no (e.g. the hold ran out and the payment was refunded).
    return redirect("checkout:checkout", booking_id=booking.pk)


@login_required
@require_GET
def checkout_return(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Stripe's return_url after the Payment Element: confirm with our own record of the
    booking's intent (the query string only says which one Stripe thinks it was)."""
    booking = _owned_booking(request, booking_id)
    if booking.status == Booking.Status.CONFIRMED:
        return redirect("bookings:detail", reference=booking.reference)
    payment = payment_selectors.payment_for_booking(booking_id=booking.pk)
    if payment is None:
        return redirect("checkout:checkout", booking_id=booking.pk)
    try:
        outcome = services.booking_confirm(
            booking_id=booking.pk, payment_intent_id=payment.intent_id
        )
        refusal = outcome.refusal()
        if refusal is not None:
            raise refusal
    except DomainError as exc:
        logger.info("Checkout return for %s not confirmed: %s", booking.reference, exc.code)
        booking.refresh_from_db()
        message = message_for_error(exc, {PaymentNotCompleted.code: MSG_NOT_COMPLETED})
        return _render_checkout(request, booking, error=message, status=status_for_error(exc))
    return redirect("bookings:detail", reference=outcome.booking.reference)
