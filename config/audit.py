"""The staff audit trail: every staff action that changes money, seats or the queue writes
one entry on the object it changed, in Django's admin log, so the object's History page
in the admin shows who did what and why. Called at the staff edge (admin actions and
views, the check-in undo), never from services, which do not know who asked."""

from __future__ import annotations

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model


def audit_log(*, user, obj: Model, message: str, action_flag: int = CHANGE) -> LogEntry:
    """Record `message` (plain text, written for a reader of the History page) against
    `obj`, by `user`."""
    return LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[obj],
        action_flag=action_flag,
        change_message=message,
        single_object=True,
    )


def audit_entries(obj: Model) -> list[LogEntry]:
    """An object's audit entries, newest first (what its History page lists)."""
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
        ).order_by("-action_time", "-id")
    )
