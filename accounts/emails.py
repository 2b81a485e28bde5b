"""Templated email: every message has a subject, a text part and an HTML part.

A message named "accounts/email/otp" is rendered from the templates
`accounts/email/otp_subject.txt`, `accounts/email/otp.txt` and `accounts/email/otp.html`.
Callers schedule `email_send` (below) inside their transaction; the Celery task sends
after commit, with bounded retries, so a rolled-back change never emails anybody.
"""

from __future__ import annotations

from collections.abc import Iterable
from email.mime.image import MIMEImage
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    return subject, text, html


def build_email(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    inline_images: Iterable[tuple[str, bytes, str]] = (),
) -> EmailMultiAlternatives:
    """The message itself; inline_images are (content_id, bytes, subtype) for `cid:` links."""
    subject, text, html = render_email(template, context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    if inline_images:
        message.mixed_subtype = "related"
        for content_id, data, subtype in inline_images:
            image = MIMEImage(data, _subtype=subtype)
            image.add_header("Content-ID", f"<{content_id}>")
            image.add_header("Content-Disposition", "inline", filename=f"{content_id}.{subtype}")
            message.attach(image)
    return message


def email_send(*, to: str, template: str, context: dict[str, Any]) -> None:
    """Send a templated email through Celery once the current transaction commits.

    `context` must be JSON-serialisable (it travels through the broker).
    """
    from accounts.tasks import send_templated_email

    transaction.on_commit(
        lambda: send_templated_email.delay(to=to, template=template, context=context)
    )
