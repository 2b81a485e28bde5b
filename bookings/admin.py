"""Staff admin for bookings: search and filter, tickets inline, money read-only, resend
tickets, the attendee list of a concert as CSV. The "cancel with refund" action moves
money, so checkout/admin.py adds it."""

import csv

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from bookings import selectors, services
from bookings.errors import BookingNotConfirmed
from bookings.models import Booking, Ticket
from concerts.models import Concert
from config.audit import audit_log

ATTENDEE_CSV_HEADER = [
    "booking_reference",
    "name",
    "email",
    "category",
    "quantity",
    "status",
    "ticket_codes",
    "checked_in",
    "checked_in_at",
]


class TicketInline(admin.TabularInline):
    model = Ticket
    extra = 0
    can_delete = False
    fields = ("code", "seat_label", "status", "checked_in_at", "checked_in_door", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # tickets are issued by a confirmation, never by hand


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    # Eight columns fit a 1280 px screen; expiry and refund times are on the change page
    # and in the filters.
    list_display = (
        "reference_display",
        "fan",
        "concert_name",
        "category_name",
        "quantity",
        "total",
        "status",
        "created_at",
    )
    list_display_links = ("reference_display",)
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
    actions = ["resend_tickets"]
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

    @admin.display(description="reference", ordering="reference")
    def reference_display(self, booking: Booking) -> str:
        return format_html('<span style="white-space: nowrap">{}</span>', booking.reference)

    @admin.display(description="fan", ordering="user__email")
    def fan(self, booking: Booking) -> str:
        return booking.user.email

    @admin.display(description="concert", ordering="concert__name")
    def concert_name(self, booking: Booking) -> str:
        return booking.concert.name

    @admin.display(description="category", ordering="category__name")
    def category_name(self, booking: Booking) -> str:
        return booking.category.name

    @admin.display(description="total", ordering="total_amount")
    def total(self, booking: Booking) -> str:
        return format_html(
            '<span style="white-space: nowrap">{} {}</span>',
            booking.total_amount,
            booking.currency.upper(),
        )

    @admin.action(description="Resend tickets by email (confirmed bookings)")
    def resend_tickets(self, request: HttpRequest, queryset: QuerySet[Booking]) -> None:
        sent, skipped = [], []
        for booking in queryset.select_related(None).only("pk", "reference", "status"):
            try:
                services.booking_resend_tickets(booking_id=booking.pk)
            except BookingNotConfirmed:
                skipped.append(booking.reference)
                continue
            sent.append(booking.reference)
            audit_log(user=request.user, obj=booking, message="Tickets resent by email.")
        if sent:
            self.message_user(request, f"Tickets resent for {', '.join(sent)}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"Skipped, not confirmed: {', '.join(skipped)}.", messages.WARNING
            )

    def get_urls(self):
        return [
            path(
                "attendees/<int:concert_id>.csv",
                self.admin_site.admin_view(self.attendees_csv_view),
                name="bookings_attendees_csv",
            ),
            *super().get_urls(),
        ]

    def attendees_csv_view(self, request: HttpRequest, concert_id: int) -> HttpResponse:
        """Every booking of a concert, one row each, for the door list or the promoter."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        concert = get_object_or_404(Concert, pk=concert_id)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="attendees-{concert.slug}-{stamp}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(ATTENDEE_CSV_HEADER)
        for booking in selectors.attendees_for_concert(concert_id=concert.pk):
            tickets = list(booking.tickets.all())
            checked_in = [t for t in tickets if t.status == Ticket.Status.CHECKED_IN]
            writer.writerow(
                [
                    booking.reference,
                    _csv_text(booking.user.get_full_name()),
                    _csv_text(booking.user.email),
                    _csv_text(booking.category.name),
                    booking.quantity,
                    booking.status,
                    " ".join(t.code for t in tickets),
                    len(checked_in),
                    " ".join(t.checked_in_at.isoformat() for t in checked_in if t.checked_in_at),
                ]
            )
        return response


def _csv_text(text: str) -> str:
    """Fans choose their names: text a spreadsheet would run as a formula is quoted."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("code", "booking", "status", "seat_label", "checked_in_at", "checked_in_door")
    list_filter = ("status", "booking__concert")
    search_fields = ("code", "booking__reference", "booking__user__email")
    list_select_related = ("booking",)
    readonly_fields = (
        "code",
        "booking",
        "seat_label",
        "status",
        "checked_in_at",
        "checked_in_door",
        "created_at",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
