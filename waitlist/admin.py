"""Staff admin for the waiting list: entries in list order, offers, and two actions that
call services ("Make offers now", "Remove from the list"), each audited."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from config.audit import audit_log
from waitlist import services
from waitlist.models import WaitlistEntry, WaitlistOffer


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "concert", "category", "quantity", "status", "created_at")
    list_filter = ("concert", "category", "status")
    search_fields = ("user__email",)
    ordering = ("category", "id")  # the list's own order
    list_select_related = ("user", "concert", "category")
    readonly_fields = (
        "user",
        "concert",
        "category",
        "quantity",
        "status",
        "created_at",
        "ended_at",
    )
    actions = ("make_offers_now", "remove_from_list")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # fans join through the site or the API, where the rules are checked

    @admin.action(description="Make offers now (for these entries' categories)")
    def make_offers_now(self, request: HttpRequest, queryset: QuerySet[WaitlistEntry]) -> None:
        made = []
        for category_id in sorted(set(queryset.values_list("category_id", flat=True))):
            made += services.waitlist_offers_make(category_id=category_id)
        for offer in made:
            audit_log(
                user=request.user, obj=offer.entry, message="Offer made by staff (Make offers now)."
            )
        self.message_user(request, f"{len(made)} offer(s) made.", messages.SUCCESS)

    @admin.action(description="Remove from the list (withdraws an open offer)")
    def remove_from_list(self, request: HttpRequest, queryset: QuerySet[WaitlistEntry]) -> None:
        removed = 0
        for entry in queryset.filter(status__in=WaitlistEntry.LIVE_STATUSES):
            services.waitlist_leave(entry_id=entry.pk)
            audit_log(
                user=request.user, obj=entry, message="Removed from the waiting list by staff."
            )
            removed += 1
        self.message_user(request, f"{removed} entr{'y' if removed == 1 else 'ies'} removed.")


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(admin.ModelAdmin):
    list_display = ("id", "entry", "category", "quantity", "status", "expires_at", "booking")
    list_filter = ("status", "category__concert")
    ordering = ("-id",)
    list_select_related = ("entry", "category", "booking")
    readonly_fields = (
        "entry",
        "category",
        "quantity",
        "status",
        "created_at",
        "expires_at",
        "ended_at",
        "booking",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
