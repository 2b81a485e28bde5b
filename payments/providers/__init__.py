"""Payment providers, chosen by settings.PAYMENT_PROVIDER ("stripe" or "fake")."""

from django.conf import settings

from .base import PaymentProvider


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider for `name` (default: the configured one). Read at call time, so tests
    can switch with override_settings."""
    name = name or settings.PAYMENT_PROVIDER
    if name == "stripe":
        from .stripe_provider import StripeProvider

        return StripeProvider()
    if name == "fake":
        from .fake_provider import FakeProvider

        return FakeProvider()
    raise ValueError(f"Unknown payment provider {name!r}")
