import pytest
from django.conf import settings


def test_redis_answers(redis_client):
    assert redis_client.ping() is True


@pytest.mark.django_db
def test_create_user_with_email_login(django_user_model):
    user = django_user_model.objects.create_user(
        email="Fan@Example.com", password="s3cret-pass-123"
    )
    assert user.email == "fan@example.com"
    assert user.check_password("s3cret-pass-123")
    assert user.password.startswith("argon2")


def test_contract_settings_have_their_defaults():
    assert settings.QUEUE_MAX_ACTIVE_USERS == 50
    assert settings.BOOKING_HOLD_SECONDS == 600
    assert settings.PAYMENT_PROVIDER == "fake"
