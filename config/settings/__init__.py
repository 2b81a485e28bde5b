"""Setting modules: base (shared), local (development default), production, test.

This package itself is not a setting module: DJANGO_SETTINGS_MODULE names one of them.
"""

import os

from django.core.exceptions import ImproperlyConfigured

if os.environ.get("DJANGO_SETTINGS_MODULE") == "config.settings":
    # config.settings was one module before the split; say so instead of failing later on
    # an empty SECRET_KEY.
    raise ImproperlyConfigured(
        "DJANGO_SETTINGS_MODULE=config.settings names the package: use "
        "config.settings.local (development), config.settings.production or config.settings.test."
    )
