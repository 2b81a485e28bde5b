import itertools

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from config.redis import flush_queue_redis, get_redis

_emails = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip, with the reason, when the suite runs on SQLite."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI's second run does)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clean_redis():
    """Each test starts with an empty Redis DB: only the DB named by REDIS_URL is flushed."""
    get_redis().flushdb()
    flush_queue_redis()  # the queue's own Redis, when QUEUE_REDIS_URL sets one (every primary)
    cache.clear()
    return


@pytest.fixture
def fast_fans(settings):
    """For tests that make many fans and pay: accounts need no strong password hashes
    (Argon2 would dominate the run), and the fake provider needs an explicit yes with
    DEBUG off (pytest-django's default)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PAYMENT_PROVIDER = "fake"
    settings.PAYMENT_PROVIDER_FAKE_ALLOWED = True


@pytest.fixture
def redis_client():
    return get_redis()


@pytest.fixture
def make_user(django_user_model):
    def make(email: str | None = None, password: str = "correct-horse-battery-9", **extra):
        email = email or f"fan{next(_emails)}@example.com"
        return django_user_model.objects.create_user(email=email, password=password, **extra)

    return make


@pytest.fixture
def user(make_user):
    return make_user(email="fan@example.com", first_name="Fran", last_name="Fan")


@pytest.fixture
def staff_user(make_user):
    return make_user(email="staff@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def auth_client(user):
    """An API client sending a real JWT access token for `user`."""
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    client.user = user
    return client
