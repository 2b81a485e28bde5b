"""The server-rendered pages, one include per app (each app's urls.py has an app_name)."""

from django.urls import include, path

urlpatterns = [
    path("", include("concerts.urls")),
    path("accounts/", include("accounts.urls")),
    path("queue/", include("queueing.urls")),
    path("bookings/", include("bookings.urls")),
    path("checkout/", include("checkout.urls")),
    path("waitlist/", include("waitlist.urls")),
    path("", include("accounts.health_urls")),
]
