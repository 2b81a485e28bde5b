"""Staff admin for the catalog: concerts with their categories, sales figures, publishing.

Category seat counters are never saved from the form: a new category starts with all
seats available, and an edit goes through services.category_update (one conditional
UPDATE that moves available_seats by the change in total).
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from concerts.errors import CategoryShrinkRefused
from concerts.models import Concert, TicketCategory
from concerts.selectors import (
    categories_with_sales_figures,
    concert_sale_state,
    concerts_filter_when,
    concerts_with_sales_figures,
)
from concerts.services import (
    category_check_total_seats,
    category_create,
    category_update,
    concerts_publish,
    concerts_unpublish,
)
from config.audit import audit_log
from config.formatting import available_timezones, format_money, format_venue_time


class TicketCategoryInlineForm(forms.ModelForm):
    class Meta:
        model = TicketCategory
        fields = ["name", "price", "currency", "total_seats", "display_order"]
        widgets = {
            "name": forms.TextInput(attrs={"size": 22}),
            "price": forms.NumberInput(attrs={"style": "width: 7em"}),
            "currency": forms.TextInput(attrs={"size": 4}),
            "total_seats": forms.NumberInput(attrs={"style": "width: 7em"}),
            "display_order": forms.NumberInput(attrs={"style": "width: 4em"}),
        }

    def clean(self):
        cleaned = super().clean()
        total = cleaned.get("total_seats")
        if total is None or self.cleaned_data.get("DELETE"):
            return cleaned
        if self.instance.pk is None:
            self.instance.available_seats = total
            return cleaned
        try:
            current_total, current_available = category_check_total_seats(
                category_id=self.instance.pk, total_seats=total
            )
        except CategoryShrinkRefused as refused:
            self.add_error("total_seats", refused.message)
            return cleaned
        # Keep the in-memory row consistent for model validation; the saved value comes
        # from the conditional UPDATE in category_update, not from here.
        self.instance.available_seats = current_available + (total - current_total)
        return cleaned


class TicketCategoryInline(admin.TabularInline):
    model = TicketCategory
    form = TicketCategoryInlineForm
    extra = 1
    fields = [
        "name",
        "price",
        "currency",
        "total_seats",
        "available_seats",
        "sold",
        "held",
        "display_order",
    ]
    readonly_fields = ["available_seats", "sold", "held"]
    ordering = ["display_order", "id"]

    def get_queryset(self, request):
        return categories_with_sales_figures(super().get_queryset(request))

    @admin.display(description="sold")
    def sold(self, category: TicketCategory) -> int:
        return getattr(category, "seats_sold", 0) if category.pk else 0

    @admin.display(description="held")
    def held(self, category: TicketCategory) -> int:
        return getattr(category, "seats_held", 0) if category.pk else 0


class WhenFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [
            ("upcoming", "Upcoming"),
            ("on_sale", "On sale now"),
            ("past", "Past"),
        ]

    def queryset(self, request, queryset):
        if self.value():
            return concerts_filter_when(queryset, self.value(), timezone.now())
        return queryset


@admin.register(Concert)
class ConcertAdmin(admin.ModelAdmin):
    inlines = [TicketCategoryInline]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "venue", "slug"]
    list_filter = [WhenFilter, "published"]
    list_display = [
        "concert",
        "starts",
        "published",
        "sale_state",
        "sold",
        "held",
        "available",
        "revenue_display",
    ]
    list_display_links = ["concert"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at", "id"]
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "venue", "timezone", "description"]}),
        (
            "Dates",
            {
                "fields": ["starts_at", "sale_starts_at", "doors_open_at"],
                "description": "Times are the venue's wall clock, in its time zone (above). "
                "Fans may join the "
                "waiting room's pre-queue "
                f"{settings.QUEUE_PREQUEUE_SECONDS // 60} minutes before the sale starts.",
            },
        ),
        ("Visibility", {"fields": ["published"]}),
        ("Box office", {"fields": ["staff_links"]}),
    ]
    readonly_fields = ["staff_links"]
    save_on_top = True

    def get_queryset(self, request):
        return concerts_with_sales_figures(super().get_queryset(request))

    @admin.display(description="concert", ordering="name")
    def concert(self, concert: Concert) -> str:
        return format_html("{}<br><small>{}</small>", concert.name, concert.venue)

    @admin.display(description="starts", ordering="starts_at")
    def starts(self, concert: Concert) -> str:
        return format_venue_time(concert.starts_at, concert.timezone, "medium")

    @admin.display(description="sale")
    def sale_state(self, concert: Concert) -> str:
        # seats from the seats_capacity / seats_free annotations: no query per row
        concert.seats_total, concert.seats_available = concert.seats_capacity, concert.seats_free
        return concert_sale_state(concert).replace("_", " ")

    @admin.display(description="sold", ordering="seats_sold")
    def sold(self, concert: Concert) -> str:
        return f"{concert.seats_sold:,}"

    @admin.display(description="held", ordering="seats_held")
    def held(self, concert: Concert) -> str:
        return f"{concert.seats_held:,}"

    @admin.display(description="available", ordering="seats_free")
    def available(self, concert: Concert) -> str:
        return format_html(
            '<span style="white-space: nowrap">{} / {}</span>',
            f"{concert.seats_free:,}",
            f"{concert.seats_capacity:,}",
        )

    @admin.display(description="revenue", ordering="revenue")
    def revenue_display(self, concert: Concert) -> str:
        return format_html(
            '<span style="white-space: nowrap">{}</span>',
            format_money(concert.revenue, concert.revenue_currency or "usd"),
        )

    @admin.display(description="staff pages")
    def staff_links(self, concert: Concert) -> str:
        # By URL name: the pages belong to the queueing and bookings admins.
        if concert.pk is None:
            return "Save the concert first."
        return format_html(
            '<a href="{}">Live waiting room</a> · <a href="{}">Attendees (CSV)</a> · '
            '<a href="{}">Bookings</a> · <a href="{}">Check-in door</a> · '
            '<a href="{}">Sale report</a>',
            reverse("admin:queueing_live", args=[concert.pk]),
            reverse("admin:bookings_attendees_csv", args=[concert.pk]),
            reverse("admin:bookings_booking_changelist") + f"?concert__id__exact={concert.pk}",
            reverse("bookings:checkin") + f"?concert={concert.pk}",
            reverse("admin:reports_sale_report", args=[concert.pk]),
        )

    @admin.action(description="Publish selected concerts", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Concert]) -> None:
        count, refused = concerts_publish(concerts=queryset)
        for message in refused:
            self.message_user(request, message, messages.WARNING)
        self.message_user(request, f"Published {count} concert(s).", messages.SUCCESS)

    @admin.action(description="Unpublish selected concerts", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Concert]) -> None:
        count = concerts_unpublish(concerts=queryset)
        self.message_user(request, f"Unpublished {count} concert(s).", messages.SUCCESS)

    def save_formset(self, request, form, formset, change):
        if formset.model is not TicketCategory:
            return super().save_formset(request, form, formset, change)
        # Not formset.save(): that would write every column of each row, including a
        # seat count read before the request. The services write only what changed.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        deleted = set(formset.deleted_forms)
        for category_form in formset.initial_forms:
            category = category_form.instance
            if category_form in deleted:
                category.delete()
                formset.deleted_objects.append(category)
            elif category_form.has_changed():
                data = category_form.cleaned_data
                category_update(
                    category_id=category.pk,
                    expected_total_seats=category_form.initial["total_seats"],
                    name=data["name"],
                    price=data["price"],
                    currency=data["currency"],
                    display_order=data["display_order"],
                    total_seats=data["total_seats"],
                )
                formset.changed_objects.append((category, category_form.changed_data))
                _audit_category_change(request, category_form)
        for category_form in formset.extra_forms:
            if category_form in deleted or not category_form.has_changed():
                continue
            data = category_form.cleaned_data
            formset.new_objects.append(
                new_category := category_create(
                    concert=formset.instance,
                    name=data["name"],
                    price=data["price"],
                    total_seats=data["total_seats"],
                    currency=data["currency"],
                    display_order=data["display_order"],
                )
            )
            audit_log(
                user=request.user,
                obj=formset.instance,
                message=f"Category {new_category.name} added: {new_category.total_seats} seats "
                f"at {new_category.price} {new_category.currency.upper()}.",
            )
        return None

    def venue_zone(self, request: HttpRequest, object_id: str | None) -> str:
        """The zone the form's times are read and shown in: the one being submitted,
        else the concert's, else the site's."""
        submitted = request.POST.get("timezone", "") if request.method == "POST" else ""
        if submitted in available_timezones():
            return submitted
        if object_id:
            concert = self.get_object(request, object_id)
            if concert is not None:
                return concert.timezone
        return settings.TIME_ZONE

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            # Staff type venue times: "20:00" for a London concert is 20:00 in London.
            with timezone.override(self.venue_zone(request, object_id)):
                response = super().changeform_view(request, object_id, form_url, extra_context)
                # A TemplateResponse renders lazily: render it while the zone is active.
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response
        except CategoryShrinkRefused as refused:
            # Seats were booked between the form's check and its save: the whole save
            # rolled back (the admin view is atomic); tell the staff member to retry.
            self.message_user(request, refused.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _audit_category_change(request: HttpRequest, category_form: forms.ModelForm) -> None:
    """Seats and prices are what staff must be able to trace: say what moved, from what
    to what, on the concert's History page."""
    changes = [
        f"{field.replace('_', ' ')} {category_form.initial[field]} → "
        f"{category_form.cleaned_data[field]}"
        for field in ("total_seats", "price", "currency")
        if field in category_form.changed_data
    ]
    if changes:
        audit_log(
            user=request.user,
            obj=category_form.instance.concert,
            message=f"Category {category_form.cleaned_data['name']}: {', '.join(changes)}.",
        )
