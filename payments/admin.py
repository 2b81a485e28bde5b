from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from config.errors import DomainError

from . import services
from .models import FakeProviderIntent, Payment, ProcessedWebhookEvent

MSG_REFUND_CONFIRMED_BOOKING = (
    "{reference} is confirmed: cancel it with a refund from the bookings admin, which also "
    "voids its tickets and releases its seats."
)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Payments are facts from the provider: read-only here, refunds through the provider."""

    list_display = (
        "intent_id",
        "booking_link",
        "provider",
        "amount",
        "currency",
        "status",
        "refunded_amount",
        "created_at",
    )
    list_filter = ("status", "provider", "currency")
    search_fields = ("intent_id", "booking__reference", "booking__user__email", "refund_id")
    list_select_related = ("booking",)
    date_hierarchy = "created_at"
    actions = ["refund_payments"]
    exclude = ("client_secret",)
    readonly_fields = (
        "booking_link",
        "provider",
        "intent_id",
        "amount",
        "currency",
        "status",
        "failure_code",
        "failure_message",
        "refund_id",
        "refund_status",
        "refund_reason",
        "refunded_amount",
        "provider_response",
        "created_at",
        "updated_at",
        "succeeded_at",
        "refunded_at",
    )
    fields = readonly_fields

    @admin.display(description="Booking", ordering="booking__reference")
    def booking_link(self, obj: Payment) -> str:
        url = reverse("admin:bookings_booking_change", args=[obj.booking_id])
        return format_html('<a href="{}">{}</a>', url, obj.booking.reference)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("payments.change_payment")

    @admin.action(
        description="Refund selected payments through the provider", permissions=["refund"]
    )
    def refund_payments(self, request, queryset):
        refunded = 0
        for payment in queryset.select_related("booking"):
            booking = payment.booking
            if booking.status == "confirmed":
                # Money back while tickets stay valid would be a free ticket: the bookings
                # admin's cancel-with-refund does both.
                self.message_user(
                    request,
                    MSG_REFUND_CONFIRMED_BOOKING.format(reference=booking.reference),
                    messages.WARNING,
                )
                continue
            try:
                services.payment_refund(
                    booking=booking, reason=f"Refunded in the admin by {request.user.email}"
                )
            except DomainError as exc:
                self.message_user(request, f"{payment.intent_id}: {exc.message}", messages.ERROR)
            else:
                refunded += 1
        if refunded:
            self.message_user(request, f"Refunded {refunded} payment(s).", messages.SUCCESS)


@admin.register(ProcessedWebhookEvent)
class ProcessedWebhookEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "event_type", "provider", "intent_id", "outcome", "received_at")
    list_filter = ("event_type", "provider")
    search_fields = ("event_id", "intent_id")
    readonly_fields = list_display

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FakeProviderIntent)
class FakeProviderIntentAdmin(admin.ModelAdmin):
    list_display = ("intent_id", "amount_minor", "currency", "status", "card_last4", "refund_id")
    search_fields = ("intent_id",)
    exclude = ("client_secret",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "client_secret"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
