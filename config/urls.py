from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.admin_site import admin_site_for_staff
from config.api import api_not_found
from config.views import favicon

# API prefixes carry no trailing slash: each app's api_urls.py uses config.api.api_path,
# so every route answers with or without one and never redirects.
api_v1 = [
    path("auth", include("accounts.api_urls")),
    path("concert", include("concerts.api_urls")),
    path("queue", include("queueing.api_urls")),
    path("booking", include("bookings.api_urls")),
    path("booking", include("checkout.booking_api_urls")),  # PATCH /booking/{id}/confirm
    path("checkin", include("bookings.checkin_api_urls")),
    path("waitlist", include("waitlist.api_urls")),
    path("payment", include("payments.api_urls")),
    path("payment", include("checkout.payment_api_urls")),  # create-intent, webhook, fake pay
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its init script as a file: the CSP forbids inline scripts.
    re_path(
        r"^docs/?$", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"
    ),
    re_path(r"", api_not_found),  # last: unknown API paths get a JSON 404
]

urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin_site_for_staff(admin.site).urls),
    path("api/v1/", include(api_v1)),
    re_path(r"^api(/|$)", api_not_found),  # /api/v2/..., /api/x: JSON 404 too
    path("", include("config.site_urls")),
]
if settings.BENCH_ROUTES:  # the benchmark's baseline views, never on in production
    urlpatterns.insert(0, path("bench/", include("bench.urls")))

handler400 = "config.api.bad_request"
handler403 = "config.api.permission_denied"
handler404 = "config.api.page_not_found"
handler500 = "config.api.server_error"
