"""Restore a concert's waiting room into Redis from the QueueEntry rows.

For when Redis restarted without persistence: waiting fans keep their order, the
pre-queue stays a pre-queue, active fans keep what is left of their slot.
"""

from django.core.management.base import BaseCommand, CommandError

from concerts.models import Concert
from queueing import services


class Command(BaseCommand):
    help = "Rebuild a concert's Redis queue from the durable QueueEntry rows."

    def add_arguments(self, parser):
        parser.add_argument("concert_id", type=int)
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the queue Redis still holds for this concert.",
        )

    def handle(self, *args, concert_id: int, force: bool, **options):
        concert = Concert.objects.filter(pk=concert_id).first()
        if concert is None:
            raise CommandError(f"No concert with id {concert_id}.")
        try:
            result = services.queue_rebuild(concert=concert, force=force)
        except services.QueueNotEmpty as exc:
            raise CommandError(f"{exc} Use --force to replace it.") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt the queue of concert {concert.pk}: {result.waiting} waiting, "
                f"{result.prequeue} in the pre-queue, {result.active} active."
            )
        )
