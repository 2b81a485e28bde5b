"""Reads of the outbox, for operations: how much is waiting and since when."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.db.models import Count, Min

from outbox.models import OutboxMessage


class OutboxBacklog(TypedDict):
    pending: int
    failed: int
    oldest_pending_at: datetime | None


def outbox_backlog() -> OutboxBacklog:
    """Pending and given-up messages, and when the oldest pending one was written."""
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    return {
        "pending": pending["count"],
        "failed": OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).count(),
        "oldest_pending_at": pending["oldest"],
    }
