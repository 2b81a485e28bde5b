"""The waiting-room page: the fan joins on load, then the page polls the status API.

The page carries a short-lived JWT access token (data-* attribute) so its polling is
answered from Redis alone, without the session or a database query.
"""

from __future__ import annotations

import hashlib
import json
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework_simplejwt.tokens import AccessToken

from concerts.errors import ConcertNotFound
from concerts.models import Concert
from concerts.selectors import concert_get, concert_prequeue_opens_at
from config.errors import DomainError
from config.views import messages_add_error
from queueing import challenge as queue_challenge
from queueing import draw, selectors, services
from queueing.errors import ChallengeRequired
from queueing.state import LINE_TEXTS, LineReason

NEEDS_JAVASCRIPT = (
    "Joining this waiting room needs JavaScript: your browser solves a short check that "
    "keeps bots out. Please turn JavaScript on and reload this page."
)


def _access_token(user) -> str:
    return str(AccessToken.for_user(user))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def room(request: HttpRequest, concert_id: int) -> HttpResponse:
    try:
        concert = concert_get(concert_id=concert_id, with_categories=False)
    except ConcertNotFound as missing:
        raise Http404(missing.message) from missing
    if request.method == "POST":  # the no-JavaScript way in; the page's script uses the API
        try:
            services.queue_join(user_id=request.user.pk, concert=concert)
        except ChallengeRequired:
            # The proof of work is solved by the page's script (static/queueing/challenge.js).
            messages.error(request, NEEDS_JAVASCRIPT)
        except DomainError as exc:
            messages_add_error(request, exc)
        return redirect("queueing:room", concert_id=concert.pk)

    state = services.queue_status(user_id=request.user.pk, concert_id=concert.pk)
    context = {
        "concert": concert,
        "state": state,
        # Opening the room joins the line, unless the fan was sent here from the seat page
        # (their turn is over or has not come): then they choose to join again.
        "auto_join": request.GET.get("from") != "seats",
        "waitlist_url": reverse("waitlist:concert", args=[concert.pk]),
        "line_text": LINE_TEXTS.get(state.line_reason) if state.line_reason else None,
        "line_texts": [(reason.value, text) for reason, text in LINE_TEXTS.items()],
        "sold_out_text": LINE_TEXTS[LineReason.SOLD_OUT],
        "max_per_fan": settings.MAX_TICKETS_PER_FAN,
        "access_token": _access_token(request.user),
        # Without a proof of work asked now, the page joins without fetching a challenge.
        "challenge_on": queue_challenge.challenge_maxnumber(concert_id=concert.pk) > 0,
        "slot_seconds": settings.QUEUE_SLOT_SECONDS,
        "prequeue_opens_at": concert_prequeue_opens_at(concert),
        # The pre-queue countdown counts on the server's clock, not only the fan's.
        "server_now_ms": int(time.time() * 1000),
    }
    return render(request, "queueing/room.html", context)


@never_cache
@login_required
@require_GET
def token(request: HttpRequest, concert_id: int) -> JsonResponse:
    """A fresh access token for a page left open longer than the token lives."""
    return JsonResponse({"access": _access_token(request.user)})


@login_required
@require_POST
def leave(request: HttpRequest, concert_id: int) -> HttpResponse:
    concert = get_object_or_404(Concert, pk=concert_id)
    services.queue_leave(user_id=request.user.pk, concert_id=concert.pk)
    messages.info(request, "You have left the waiting room.")
    return redirect(concert.get_absolute_url())


@require_GET
def draw_page(request: HttpRequest, concert_id: int) -> HttpResponse:
    """Public: the concert's draw (commitment, then seed and order) and "find my entry"."""
    try:
        concert = concert_get(concert_id=concert_id, with_categories=False)
    except ConcertNotFound as missing:
        raise Http404(missing.message) from missing
    publication = selectors.draw_publication(concert_id=concert.pk)
    wanted = request.GET.get("entry", "").strip().lower()[:64]
    place = None
    if wanted and publication.entries and wanted in publication.entries:
        place = publication.entries.index(wanted) + 1
    context = {
        "concert": concert,
        "publication": publication,
        "wanted": wanted,
        "place": place,
        "problems": _draw_problems(publication),
        # A very long list is left to the JSON download and the server-side search.
        "list_entries": len(publication.entries) <= DRAW_PAGE_MAX_LISTED,
    }
    return render(request, "queueing/draw.html", context)


DRAW_PAGE_MAX_LISTED = 5_000


def _draw_problems(publication: selectors.DrawPublication) -> list[str]:
    """The page's own check of a published draw, computed once per content of the draw
    rather than once per visitor (a digest of what is shown is the cache key)."""
    if publication.seed is None:
        return []
    shown = json.dumps([publication.commitment, publication.seed, publication.entries])
    key = f"queueing:draw-check:{hashlib.sha256(shown.encode()).hexdigest()}"
    return cache.get_or_set(
        key,
        lambda: draw.verify_publication(
            commitment=publication.commitment or "",
            seed=publication.seed,
            entries=publication.entries,
        ),
        timeout=3600,
    )
