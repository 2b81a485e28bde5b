"""Staff admin for the waiting room: the durable entries, and a live view per concert.

The live view reads Redis (queueing.selectors.queue_overview); its controls (pause,
resume, active cap) call the services, which store the overrides in Redis so every
turnstile tick sees them at once.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from concerts.models import Concert
from config.audit import audit_log
from queueing import challenge as queue_challenge
from queueing import selectors, services
from queueing.models import Draw, QueueControl, QueueEntry
from queueing.state import LINE_TEXTS


class CapForm(forms.Form):
    cap = forms.IntegerField(
        min_value=0,
        max_value=100_000,
        required=False,
        label="Active cap",
        help_text=f"Fans holding a booking slot at once. Empty: the default "
        f"({settings.QUEUE_MAX_ACTIVE_USERS}). 0 admits nobody new.",
    )


class ChallengeForm(forms.Form):
    challenge_maxnumber = forms.IntegerField(
        min_value=0,
        max_value=queue_challenge.MAX_MAXNUMBER,
        required=False,
        label="Proof of work at join (most attempts)",
        help_text=f"0: off. 200,000 costs a fan at most ~1.5 s on a laptop and 5-8 s on an "
        f"older phone; 1,000,000 up to 8 s and 25-40 s (docs/challenge.md). Empty: the "
        f"default ({settings.QUEUE_CHALLENGE_MAXNUMBER}). Fans in line are not asked again.",
    )


@admin.register(QueueEntry)
class QueueEntryAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "concert",
        "status",
        "sequence",
        "joined_at",
        "admitted_at",
        "finished_at",
    ]
    list_filter = ["status", "concert"]
    search_fields = ["user__email", "=entry_id"]
    list_select_related = ["user", "concert"]
    raw_id_fields = ["user", "concert"]
    readonly_fields = [f.name for f in QueueEntry._meta.fields]
    date_hierarchy = "joined_at"
    change_list_template = "queueing/admin/entry_change_list.html"

    # Entries follow Redis through the services; nobody edits them by hand.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("live/", view(self.live_index_view), name="queueing_live_index"),
            path("live/<int:concert_id>/", view(self.live_view), name="queueing_live"),
            *super().get_urls(),
        ]

    def _can_control(self, request: HttpRequest) -> bool:
        return request.user.has_perm("queueing.change_queueentry") or request.user.is_superuser

    def live_index_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        concerts = selectors.concerts_with_open_waiting_room()
        rows = [(c, selectors.queue_overview(concert_id=c.pk)) for c in concerts]
        context = {
            **self.admin_site.each_context(request),
            "title": "Live waiting rooms",
            "opts": self.model._meta,
            "rows": rows,
        }
        return TemplateResponse(request, "queueing/admin/live_index.html", context)

    def live_view(self, request: HttpRequest, concert_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        concert = get_object_or_404(Concert, pk=concert_id)
        cap_form = CapForm()
        challenge_form = ChallengeForm()
        if request.method == "POST":
            if not self._can_control(request):
                raise PermissionDenied
            action = request.POST.get("action")
            if action == "pause":
                services.queue_admission_pause(concert_id=concert.pk)
                audit_log(user=request.user, obj=concert, message="Waiting room admission paused.")
                messages.warning(request, "Admission paused: nobody new is let in.")
            elif action == "resume":
                services.queue_admission_resume(concert_id=concert.pk)
                audit_log(user=request.user, obj=concert, message="Waiting room admission resumed.")
                messages.success(request, "Admission resumed.")
            elif action == "cap":
                cap_form = CapForm(request.POST)
                if cap_form.is_valid():
                    cap = cap_form.cleaned_data["cap"]
                    services.queue_cap_set(concert_id=concert.pk, cap=cap)
                    audit_log(
                        user=request.user,
                        obj=concert,
                        message=f"Waiting room active cap set to "
                        f"{'the default' if cap is None else cap}.",
                    )
                    messages.success(request, "Active cap updated.")
            elif action == "challenge":
                challenge_form = ChallengeForm(request.POST)
                if challenge_form.is_valid():
                    self._challenge_set(request, concert, challenge_form)
            if (action != "cap" or cap_form.is_valid()) and (
                action != "challenge" or challenge_form.is_valid()
            ):
                return HttpResponseRedirect(request.path)
        overview = selectors.queue_overview(concert_id=concert.pk)
        if not cap_form.is_bound:
            cap_form = CapForm(initial={"cap": overview.cap if overview.cap_overridden else None})
        if not challenge_form.is_bound:
            challenge_form = ChallengeForm(
                initial={"challenge_maxnumber": self._challenge_override(concert)}
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Waiting room: {concert.name}",
            "challenge_form": challenge_form,
            "challenge_maxnumber": queue_challenge.challenge_maxnumber(concert_id=concert.pk),
            "challenge_counts": queue_challenge.challenge_counts(concert.pk),
            "opts": self.model._meta,
            "concert": concert,
            "overview": overview,
            "line_text": LINE_TEXTS.get(overview.line_reason) if overview.line_reason else None,
            "cap_form": cap_form,
            "can_control": self._can_control(request),
            "slot_seconds": settings.QUEUE_SLOT_SECONDS,
            "rate_cap": settings.QUEUE_ADMIT_PER_MINUTE,
            "entries_url": reverse("admin:queueing_queueentry_changelist")
            + f"?concert__id__exact={concert.pk}",
            "live_link": format_html(
                '<a href="{}">all waiting rooms</a>', reverse("admin:queueing_live_index")
            ),
        }
        return TemplateResponse(request, "queueing/admin/live.html", context)

    def _challenge_override(self, concert: Concert) -> int | None:
        control = QueueControl.objects.filter(concert=concert).first()
        return control.challenge_maxnumber if control else None

    def _challenge_set(self, request: HttpRequest, concert: Concert, form: ChallengeForm) -> None:
        maxnumber = form.cleaned_data["challenge_maxnumber"]
        queue_challenge.queue_challenge_set(concert_id=concert.pk, maxnumber=maxnumber)
        if maxnumber is None:
            said = f"the default ({settings.QUEUE_CHALLENGE_MAXNUMBER})"
        else:
            said = "off" if maxnumber == 0 else f"{maxnumber:,} attempts at most"
        audit_log(user=request.user, obj=concert, message=f"Proof of work at join set to {said}.")
        messages.success(request, f"Proof of work at join: {said}.")


@admin.register(Draw)
class DrawAdmin(admin.ModelAdmin):
    """The pre-queue draws, read-only: the seed stays hidden until the draw is published."""

    list_display = ["concert", "commitment", "created_at", "drawn_at", "entry_count"]
    list_select_related = ["concert"]
    search_fields = ["=commitment"]
    fields = ["concert", "commitment", "created_at", "drawn_at", "entry_count", "revealed_seed"]
    readonly_fields = fields

    @admin.display(description="entries drawn")
    def entry_count(self, obj: Draw) -> int:
        return len(obj.entries)

    @admin.display(description="seed")
    def revealed_seed(self, obj: Draw) -> str:
        return obj.seed if obj.drawn_at is not None else "(secret until the draw)"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
