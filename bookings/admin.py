"""Staff admin for bookings: search and filter, tickets inline, money read-only. The
"cancel with refund" action moves money, so checkout/admin.py adds it."""

from django.contrib import admin

from bookings.models import Booking, Ticket


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
    list_filter = (
        "status",
        "concert",
        ("refunded_at", admin.EmptyFieldListFilter),
        ("attention_reason", admin.EmptyFieldListFilter),  # flagged for staff
        "created_at",
    )
    search_fields = ("reference", "user__email", "concert__name", "tickets__code")
    list_select_related = ("user", "concert", "category")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = [TicketInline]
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
