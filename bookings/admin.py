"""Staff admin for bookings: search and filter, tickets inline, money read-only, and a
"cancel with refund" action that goes through checkout.services.booking_cancel_confirmed."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from bookings.models import Booking, Ticket
from checkout.services import booking_cancel_confirmed
from config.errors import DomainError


class TicketInline(admin.TabularInline):
    model = Ticket
    extra = 0
    can_delete = False
    fields = ("code", "seat_label", "status", "checked_in_at", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # tickets are issued by a confirmation, never by hand


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "user",
        "concert",
        "category",
        "quantity",
        "total_amount",
        "currency",
        "status",
        "created_at",
        "expires_at",
        "refunded_at",
    )
    list_filter = ("status", "concert", ("refunded_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("reference", "user__email", "concert__name", "tickets__code")
    list_select_related = ("user", "concert", "category")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = [TicketInline]
    actions = ["cancel_with_refund"]
    # A booking is a record of money and seats: states change through services only.
    readonly_fields = (
        "reference",
        "user",
        "concert",
        "category",
        "quantity",
        "unit_price",
        "total_amount",
        "currency",
        "status",
        "expires_at",
        "created_at",
        "confirmed_at",
        "cancelled_at",
        "expired_at",
        "refunded_at",
        "refund_reason",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

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


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("code", "booking", "status", "seat_label", "checked_in_at")
    list_filter = ("status", "booking__concert")
    search_fields = ("code", "booking__reference", "booking__user__email")
    list_select_related = ("booking",)
    readonly_fields = ("code", "booking", "seat_label", "status", "checked_in_at", "created_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
