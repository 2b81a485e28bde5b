from django.conf import settings


def site(request):
    """Values every page template may use."""
    return {"PAYMENT_PROVIDER": settings.PAYMENT_PROVIDER, "DEBUG": settings.DEBUG}
