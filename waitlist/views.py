"""Pages: join a sold-out category's waiting list, see your place, leave; take an offer."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from concerts.errors import ConcertNotFound
from concerts.selectors import concert_get
from config.errors import DomainError
from config.views import messages_add_error
from waitlist import errors, selectors, services
from waitlist.forms import WaitlistJoinForm
from waitlist.models import WaitlistEntry, WaitlistOffer


@login_required
@require_http_methods(["GET", "POST"])
def concert(request, concert_id: int):
    try:
        concert = concert_get(concert_id=concert_id, with_categories=False)
    except ConcertNotFound as exc:
        raise Http404(exc.message) from exc
    form = WaitlistJoinForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.waitlist_join(
                    user=request.user,
                    concert_id=concert.pk,
                    category_id=form.cleaned_data["category"],
                    quantity=form.cleaned_data["quantity"],
                )
            except DomainError as exc:
                messages_add_error(request, exc)
            else:
                messages.success(request, "You are on the waiting list. We will email you.")
            return redirect("waitlist:concert", concert_id=concert.pk)
        messages.error(request, "Choose a sold-out category and how many tickets you want.")
    entries = selectors.waitlist_entries_of_fan_for_concert(
        user=request.user, concert_id=concert.pk
    )
    live_categories = {e.category_id for e in entries if e.status in WaitlistEntry.LIVE_STATUSES}
    categories = selectors.waitlist_categories(concert_id=concert.pk)
    return render(
        request,
        "waitlist/concert.html",
        {
            "concert": concert,
            "form": form,
            "entries": [{"entry": e, "position": selectors.entry_position(e)} for e in entries],
            "categories": categories,
            "joinable": [
                c for c in categories if c.available_seats == 0 and c.pk not in live_categories
            ],
            "quantities": range(1, settings.MAX_TICKETS_PER_BOOKING + 1),
            "offer_minutes": max(1, settings.WAITLIST_OFFER_SECONDS // 60),
        },
    )


@login_required
@require_POST
def leave(request, entry_id: int):
    try:
        entry = services.waitlist_leave(user=request.user, entry_id=entry_id)
    except errors.WaitlistEntryNotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, "You have left the waiting list.")
    return redirect("waitlist:concert", concert_id=entry.concert_id)


@login_required
@require_http_methods(["GET", "POST"])
def offer(request, offer_id: int):
    offer = selectors.waitlist_offer_get(user=request.user, offer_id=offer_id)
    if offer is None:
        raise Http404("No such offer of yours.")
    if request.method == "POST":
        try:
            booking = services.waitlist_offer_accept(user=request.user, offer_id=offer.pk)
        except DomainError as exc:
            messages_add_error(request, exc)
            return redirect("waitlist:offer", offer_id=offer.pk)
        return redirect("checkout:checkout", booking_id=booking.pk)
    is_open = offer.status == WaitlistOffer.Status.OPEN and offer.expires_at > timezone.now()
    concert = offer.category.concert
    return render(
        request,
        "waitlist/offer.html",
        {"offer": offer, "concert": concert, "category": offer.category, "is_open": is_open},
    )
