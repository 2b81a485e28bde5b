"""The booking admin's money actions: checkout owns where a refund meets seats, so it
extends bookings' admin (registered again here, after bookings in INSTALLED_APPS)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from bookings.admin import BookingAdmin
from bookings.models import Booking
from config.audit import audit_log
from config.errors import DomainError

from .services import booking_cancel_confirmed

# The fan's refund email quotes the booking's refund reason: it names the box office and
# the reason the staff member gave, never the staff login (that goes to the audit log).
FAN_REASON = "Cancelled by the box office: {reason}"
REASON_MAX_LENGTH = 200 - len(FAN_REASON.format(reason=""))


class CancelWithRefundForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label="Reason (the fan reads it in the refund email)",
        widget=forms.TextInput(attrs={"size": 60, "autofocus": True}),
    )


class CheckoutBookingAdmin(BookingAdmin):
    actions = [*BookingAdmin.actions, "cancel_with_refund"]

    @admin.action(
        description="Cancel with refund (confirmed bookings: refund, void tickets, release seats)"
    )
    def cancel_with_refund(self, request: HttpRequest, queryset: QuerySet[Booking]):
        """First a confirmation page that lists the bookings and asks for a reason; the
        confirmed form posts back here with `post` set and does the work."""
        bookings = list(queryset.select_related("user", "concert").order_by("id"))
        form = CancelWithRefundForm(request.POST if "post" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Cancel with refund: are you sure?",
                "opts": self.model._meta,
                "bookings": bookings,
                "confirmed_count": sum(b.status == Booking.Status.CONFIRMED for b in bookings),
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "media": self.media,
            }
            return TemplateResponse(request, "admin/checkout/cancel_with_refund.html", context)
        reason = form.cleaned_data["reason"]
        done, skipped = [], []
        for booking in bookings:
            if booking.status != Booking.Status.CONFIRMED:
                skipped.append(booking.reference)
                continue
            try:
                booking_cancel_confirmed(
                    booking_id=booking.pk, reason=FAN_REASON.format(reason=reason)
                )
            except DomainError as exc:
                self.message_user(
                    request, f"{booking.reference}: {exc.message}", level=messages.ERROR
                )
            else:
                done.append(booking.reference)
                audit_log(
                    user=request.user,
                    obj=booking,
                    message=f"Cancelled with refund (tickets voided, seats released). "
                    f"Reason: {reason}",
                )
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
        return None


admin.site.unregister(Booking)
admin.site.register(Booking, CheckoutBookingAdmin)
