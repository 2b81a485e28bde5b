"""Demo data for `make run`: the staff login now; demo concerts arrive with the catalog."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

STAFF_EMAIL = "staff@boxoffice.localhost"
STAFF_PASSWORD = "boxoffice-staff"  # noqa: S105 - demo login for the embedded setup, printed


class Command(BaseCommand):
    help = "Create the demo staff user and demo concerts (idempotent)."

    def handle(self, *args, **options):
        User = get_user_model()  # noqa: N806
        staff, created = User.objects.get_or_create(
            email=STAFF_EMAIL,
            defaults={
                "is_staff": True,
                "is_superuser": True,
                "first_name": "Box",
                "last_name": "Office",
            },
        )
        if created:
            staff.set_password(STAFF_PASSWORD)
            staff.save(update_fields=["password"])
        self.stdout.write(f"Staff login: {STAFF_EMAIL} / {STAFF_PASSWORD}")
