"""Public pages: the concert list (home) and a concert's page."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from concerts.errors import ConcertNotFound
from concerts.selectors import (
    SaleState,
    concert_get_by_slug,
    concert_listing,
    concert_listings_upcoming,
    seats_are_few,
)


def home(request: HttpRequest) -> HttpResponse:
    listings = concert_listings_upcoming(now=timezone.now())
    return render(request, "concerts/home.html", {"listings": listings, "SaleState": SaleState})


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    # Staff may preview an unpublished concert before publishing it.
    published_only = not (request.user.is_authenticated and request.user.is_staff)
    try:
        concert = concert_get_by_slug(slug=slug, published_only=published_only)
    except ConcertNotFound as missing:
        raise Http404(missing.message) from missing
    listing = concert_listing(concert, timezone.now())
    categories = [
        {
            "category": category,
            "sold_out": category.available_seats == 0,
            "few_left": seats_are_few(
                total=category.total_seats, available=category.available_seats
            ),
        }
        for category in concert.categories.all()
    ]
    return render(
        request,
        "concerts/detail.html",
        {
            "concert": concert,
            "listing": listing,
            "SaleState": SaleState,
            "categories": categories,
            "prequeue_minutes": settings.QUEUE_PREQUEUE_SECONDS // 60,
            "max_per_booking": settings.MAX_TICKETS_PER_BOOKING,
        },
    )
