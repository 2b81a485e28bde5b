from django.urls import re_path

from accounts.health import healthz

urlpatterns = [re_path(r"^healthz/?$", healthz, name="healthz")]
