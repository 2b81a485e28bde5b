"""The waiting-list emails as messages (sent by the outbox handlers in services)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from accounts.emails import build_email
from waitlist.models import WaitlistOffer


def _context(offer: WaitlistOffer) -> dict:
    return {
        "offer": offer,
        "concert": offer.category.concert,
        "category": offer.category,
        "user": offer.entry.user,
        "offer_url": settings.SITE_URL.rstrip("/")
        + reverse("waitlist:offer", kwargs={"offer_id": offer.pk}),
        "list_url": settings.SITE_URL.rstrip("/")
        + reverse("waitlist:concert", kwargs={"concert_id": offer.category.concert_id}),
    }


def waitlist_offer_email(offer: WaitlistOffer) -> EmailMultiAlternatives:
    """Seats are yours to hold: what, how many, until when (venue time), the link."""
    return build_email(
        to=offer.entry.user.email, template="waitlist/email/offer", context=_context(offer)
    )


def waitlist_lapsed_email(offer: WaitlistOffer) -> EmailMultiAlternatives:
    """The offer was not taken in time: the seats went to the next fan."""
    return build_email(
        to=offer.entry.user.email, template="waitlist/email/lapsed", context=_context(offer)
    )
