"""Temporary page for a route another change is building (replaced app by app)."""

from django.http import HttpResponse


def placeholder(request, *args, **kwargs):
    return HttpResponse("This page is being built.", content_type="text/plain", status=501)
