from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConcertsConfig(AppConfig):
    name = "concerts"

    def ready(self) -> None:
        from concerts.permissions import grant_late_permissions

        # Once per migrate run: `apps` is then the whole project's state, so models of
        # apps listed after this one are already there.
        post_migrate.connect(
            grant_late_permissions, sender=self, dispatch_uid="concerts_staff_group_permissions"
        )
