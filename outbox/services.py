"""The transactional outbox: side effects that must happen are rows written in their cause's
transaction, then delivered until a handler succeeds.

`outbox_enqueue` is called inside the transaction that causes the effect (a confirmation,
a refund): the message commits or rolls back with it, so a broker or Redis outage can no
longer drop it. After commit one delivery is tried at once through Celery; if the broker is
unreachable that is only logged, and the beat task `outbox.tasks.outbox_drain` (every
OUTBOX_DRAIN_INTERVAL_SECONDS) delivers every message that is due.

Delivery is at least once. A message is claimed by one conditional UPDATE that pushes its
`next_attempt_at` forward by a lease (OUTBOX_LEASE_SECONDS): two workers never deliver it at
once, and a worker that dies mid-delivery only delays it by the lease. The handler runs in a
transaction together with the "delivered" mark, so its database writes and the mark commit
together; what it does outside the database (an email sent) can repeat only if the process
dies between doing it and that commit. A failing handler is retried with exponential
backoff (capped at OUTBOX_RETRY_MAX_SECONDS) and given up after OUTBOX_MAX_ATTEMPTS (status
failed, visible in the admin, where "retry now" puts it back).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.registry import outbox_handler_for

logger = logging.getLogger(__name__)

DRAIN_BATCH_SIZE = 100
MSG_NO_HANDLER = "No handler is registered for this kind."


def outbox_enqueue(*, kind: str, payload: dict[str, Any]) -> OutboxMessage:
    """Write a message in the caller's transaction and try to deliver it once that commits.

    Never raises for a broker outage (the beat task delivers it later); an unknown kind is
    logged and kept, so a deployment mistake delays the effect instead of losing it.
    """
    if outbox_handler_for(kind) is None:
        logger.error("Outbox kind %r has no handler; the message waits for one", kind)
    message = OutboxMessage.objects.create(kind=kind, payload=payload)
    transaction.on_commit(lambda: outbox_dispatch_soon(message_id=message.pk), robust=True)
    return message


def outbox_dispatch_soon(*, message_id: int) -> None:
    """Hand one message to a worker now; a broker outage is logged, not raised."""
    from outbox.tasks import outbox_deliver  # the task module imports this one

    try:
        # retry=False: with the broker down, fail at once instead of holding the request.
        outbox_deliver.apply_async(kwargs={"message_id": message_id}, retry=False)
    except Exception as exc:  # any broker or connection error: the drain delivers it
        logger.warning(
            "Outbox message %s not dispatched now (%s); the drain will deliver it",
            message_id,
            exc,
        )


def _claim(*, message_id: int, now: datetime) -> bool:
    lease = timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    return bool(
        OutboxMessage.objects.filter(
            pk=message_id, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + lease, attempts=F("attempts") + 1)
    )


def outbox_deliver(*, message_id: int) -> bool:
    """Deliver one message if it is pending and due; True when this call delivered it.

    Safe to repeat and to race: only the caller that claims it delivers it.
    """
    if not _claim(message_id=message_id, now=timezone.now()):
        return False
    return _deliver_claimed(message_id=message_id)


def _deliver_claimed(*, message_id: int) -> bool:
    message = OutboxMessage.objects.get(pk=message_id)
    handler = outbox_handler_for(message.kind)
    try:
        if handler is None:
            raise LookupError(MSG_NO_HANDLER)
        with transaction.atomic():
            handler(message.payload)
            OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.PENDING).update(
                status=OutboxMessage.Status.DELIVERED,
                delivered_at=timezone.now(),
                last_error="",
            )
    except Exception as exc:  # a failing handler is retried, never raised to the caller
        _retry_later(message_id=message.pk, error=exc)
        return False
    return True


def _retry_later(*, message_id: int, error: Exception) -> None:
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None or message.status != OutboxMessage.Status.PENDING:
        return  # delivered after all (an error raised after its commit)
    text = f"{type(error).__name__}: {error}"[:2000]
    now = timezone.now()
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        logger.error("Outbox message %s (%s) gave up: %s", message.pk, message.kind, text)
        changes: dict[str, Any] = {"status": OutboxMessage.Status.FAILED}
    else:
        delay = min(2 ** max(message.attempts - 1, 0), settings.OUTBOX_RETRY_MAX_SECONDS)
        logger.warning(
            "Outbox message %s (%s) failed, retry in %ss: %s", message.pk, message.kind, delay, text
        )
        changes = {"next_attempt_at": now + timedelta(seconds=delay)}
    OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING).update(
        last_error=text, **changes
    )


def outbox_drain(*, batch_size: int = DRAIN_BATCH_SIZE, now: datetime | None = None) -> int:
    """The beat task's work: deliver every pending message that is due, oldest first, in
    batches; returns how many were delivered. Concurrent drains share the work: on
    PostgreSQL rows another drain is claiming are skipped (FOR UPDATE SKIP LOCKED), and
    everywhere each row is claimed by a conditional UPDATE."""
    delivered = 0
    while True:
        claimed = _claim_due(batch_size=batch_size, now=now or timezone.now())
        if not claimed:
            return delivered
        delivered += sum(_deliver_claimed(message_id=pk) for pk in claimed)
        if len(claimed) < batch_size:
            return delivered


def _claim_due(*, batch_size: int, now: datetime) -> list[int]:
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:batch_size])
        return [pk for pk in ids if _claim(message_id=pk, now=now)]


def outbox_retry_now(*, message_ids: Iterable[int]) -> int:
    """Staff's "retry now": undelivered messages (pending or given up) become due at once,
    with a fresh attempt budget, and are dispatched. Returns how many."""
    ids = list(
        OutboxMessage.objects.filter(pk__in=list(message_ids))
        .exclude(status=OutboxMessage.Status.DELIVERED)
        .values_list("pk", flat=True)
    )
    OutboxMessage.objects.filter(pk__in=ids).exclude(status=OutboxMessage.Status.DELIVERED).update(
        status=OutboxMessage.Status.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    for pk in ids:
        transaction.on_commit(partial(outbox_dispatch_soon, message_id=pk), robust=True)
    return len(ids)
