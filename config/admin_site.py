"""The staff admin as box-office staff see it: branded titles, and only what they use.

Periodic tasks (django_celery_beat) and token blacklists (simplejwt) are plumbing: only
superusers see them on the index; a box-office staff member never needs them."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

SITE_HEADER = "boxoffice staff"
SITE_TITLE = "boxoffice staff"
INDEX_TITLE = "Box office"
SUPERUSER_ONLY_APPS = frozenset({"django_celery_beat", "token_blacklist"})


def _superuser_only(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


def admin_site_for_staff(site: admin.AdminSite = admin.site) -> admin.AdminSite:
    """Brand the site and hide the plumbing apps from everyone but superusers (their
    pages refuse others too, not only the index). Idempotent; called once from the URLs,
    when every app's admin module has registered."""
    site.site_header = SITE_HEADER
    site.site_title = SITE_TITLE
    site.index_title = INDEX_TITLE
    # The list pages need the width at 1280 px more than a second app menu: the index
    # and the breadcrumbs lead everywhere the sidebar does.
    site.enable_nav_sidebar = False
    for model, model_admin in site._registry.items():
        if model._meta.app_label in SUPERUSER_ONLY_APPS:
            for check in (
                "has_module_permission",
                "has_view_permission",
                "has_change_permission",
                "has_add_permission",
                "has_delete_permission",
            ):
                setattr(
                    model_admin, check, lambda request, *args, **kwargs: _superuser_only(request)
                )
    return site
