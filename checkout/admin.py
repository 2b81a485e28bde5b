"""The booking admin's money actions: checkout owns where a refund meets seats, so it
extends bookings' admin (registered again here, after bookings in INSTALLED_APPS)."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from bookings.admin import BookingAdmin
from bookings.models import Booking
from config.errors import DomainError

from .services import booking_cancel_confirmed


class CheckoutBookingAdmin(BookingAdmin):
    actions = ["cancel_with_refund"]

    @admin.action(
        description="Cancel with refund (confirmed bookings: refund, void tickets, release seats)"
    )
    def cancel_with_refund(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        done, skipped = [], []
        for booking in queryset.select_related(None).only("pk", "reference", "status"):
            if booking.status != Booking.Status.CONFIRMED:
                skipped.append(booking.reference)
                continue
            try:
                booking_cancel_confirmed(
                    booking_id=booking.pk,
                    reason=f"Cancelled by the box office ({request.user.get_username()}).",
                )
            except DomainError as exc:
                self.message_user(
                    request, f"{booking.reference}: {exc.message}", level=messages.ERROR
                )
            else:
                done.append(booking.reference)
        if done:
            self.message_user(
                request,
                f"Cancelled and refunded {len(done)}: {', '.join(done)}.",
                level=messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                f"Skipped {len(skipped)} not confirmed: {', '.join(skipped)}.",
                level=messages.WARNING,
            )


admin.site.unregister(Booking)
admin.site.register(Booking, CheckoutBookingAdmin)
