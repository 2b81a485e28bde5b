"""The "Box office staff" group: exactly the permissions staff need to run concerts.

A data migration creates the group with the permissions whose models exist at that
point; models of apps built later (payments, queueing) get their permission added by
a post_migrate hook once they exist. Nothing here grants accounts permissions: staff
who are not superusers cannot see or edit users' credentials.
"""

from __future__ import annotations

from typing import Any

BOX_OFFICE_STAFF_GROUP = "Box office staff"

# (app_label, model_name, action): the codename is f"{action}_{model_name}".
BOX_OFFICE_STAFF_PERMISSIONS: tuple[tuple[str, str, str], ...] = (
    ("concerts", "concert", "view"),
    ("concerts", "concert", "add"),
    ("concerts", "concert", "change"),
    ("concerts", "ticketcategory", "view"),
    ("concerts", "ticketcategory", "add"),
    ("concerts", "ticketcategory", "change"),
    ("bookings", "booking", "view"),
    ("bookings", "booking", "change"),
    ("bookings", "ticket", "view"),
    ("payments", "payment", "view"),
    ("queueing", "queueentry", "view"),
    # pause / resume admission and change the active cap during a sale
    ("queueing", "queueentry", "change"),
)


def _existing_permissions(apps: Any, using: str) -> list:
    """Permissions of the list whose model exists in `apps`, created if not there yet.

    Django creates permissions after migrating (post_migrate), so on a fresh database
    they do not exist when the data migration runs: create them the same way.
    """
    content_type_model = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    permissions = []
    for app_label, model_name, action in BOX_OFFICE_STAFF_PERMISSIONS:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue  # that app has not built the model (yet)
        content_type, _ = content_type_model.objects.using(using).get_or_create(
            app_label=app_label, model=model_name
        )
        permission, _ = permission_model.objects.using(using).get_or_create(
            content_type=content_type,
            codename=f"{action}_{model_name}",
            defaults={"name": f"Can {action} {model._meta.verbose_name}"},
        )
        permissions.append(permission)
    return permissions


def create_box_office_staff_group(apps: Any, schema_editor: Any) -> None:
    """Data migration: the group with exactly the listed permissions that exist now."""
    using = schema_editor.connection.alias
    group_model = apps.get_model("auth", "Group")
    group, _ = group_model.objects.using(using).get_or_create(name=BOX_OFFICE_STAFF_GROUP)
    group.permissions.set(_existing_permissions(apps, using))


def remove_box_office_staff_group(apps: Any, schema_editor: Any) -> None:
    group_model = apps.get_model("auth", "Group")
    group_model.objects.using(schema_editor.connection.alias).filter(
        name=BOX_OFFICE_STAFF_GROUP
    ).delete()


def grant_late_permissions(sender: Any, apps: Any = None, using: str = "default", **kwargs):
    """post_migrate: add permissions of models that appeared after the group was made.

    Only adds (never removes) and never recreates a group someone deleted on purpose.
    """
    if apps is None:
        return
    try:
        group_model = apps.get_model("auth", "Group")
    except LookupError:
        return
    group = group_model.objects.using(using).filter(name=BOX_OFFICE_STAFF_GROUP).first()
    if group is None:
        return
    group.permissions.add(*_existing_permissions(apps, using))
