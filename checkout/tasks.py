"""Celery tasks of checkout: thin, take ids, call one service, bounded retries."""

from __future__ import annotations

import logging

from celery import shared_task

from checkout import services
from payments.errors import PaymentProviderError

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(PaymentProviderError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def settle_booking_refund(*, booking_id: int) -> bool:
    """Give back a payment whose refund is due (the provider failed when it was decided).
    Idempotent; when its retries run out the periodic sweep still finds the booking."""
    return services.booking_refund_settle(booking_id=booking_id)


@shared_task
def settle_due_refunds() -> int:
    """Beat: finish every refund still due (see checkout.services' module docstring)."""
    settled = services.booking_refunds_settle_due()
    if settled:
        logger.info("settled %d due refunds", settled)
    return settled
