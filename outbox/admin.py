from django.contrib import admin, messages

from outbox.models import OutboxMessage
from outbox.services import outbox_retry_now


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: staff see what is waiting or failed, and may only ask for a retry."""

    list_display = ("id", "kind", "status", "attempts", "created_at", "next_attempt_at")
    list_filter = ("status", "kind")
    search_fields = ("kind", "last_error")
    ordering = ("-created_at",)
    actions = ["retry_now"]
    readonly_fields = (
        "kind",
        "payload",
        "status",
        "created_at",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_error",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Retry now (undelivered messages)", permissions=["view"])
    def retry_now(self, request, queryset) -> None:
        count = outbox_retry_now(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} message(s) queued for delivery.", messages.SUCCESS)
