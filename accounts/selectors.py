from __future__ import annotations

from accounts.models import User


def normalize_email(email: str) -> str:
    """Addresses are stored and compared in lower case (the manager lower-cases on create)."""
    return email.strip().lower()


def user_email_taken(*, email: str) -> bool:
    return User.objects.filter(email__iexact=normalize_email(email)).exists()
