from django.conf import settings
from django.db import models


class QueueEntry(models.Model):
    """The durable record of one fan's place in one concert's waiting room.

    Redis holds the live queue; this row is written on join and on state changes (never on
    a status poll) so the line is rebuilt from it (automatically, or by `manage.py rebuild_queue`) after
    Redis loses its data.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        ACTIVE = "active", "Active (choosing tickets)"
        COMPLETED = "completed", "Completed (booked)"
        EXPIRED = "expired", "Slot expired"
        LEFT = "left", "Left the queue"
        ABANDONED = "abandoned", "Abandoned (stopped polling)"
        SOLD_OUT = "sold_out", "Sold out while waiting"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_entries"
    )
    concert = models.ForeignKey(
        "concerts.Concert", on_delete=models.CASCADE, related_name="queue_entries"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    # The Redis join sequence (FIFO score); null while in the pre-queue, before the draw.
    sequence = models.BigIntegerField(null=True, blank=True)
    # The pre-queue receipt (queueing.draw.new_entry_id): random, never the user id; the
    # draw ranks it. Null for fans who joined after the draw.
    entry_id = models.CharField(max_length=32, null=True, blank=True, unique=True)
    joined_at = models.DateTimeField()
    admitted_at = models.DateTimeField(null=True, blank=True)
    active_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "queue entries"
        ordering = ["concert", "sequence", "joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "concert"], name="queue_entry_one_per_fan"),
        ]
        indexes = [models.Index(fields=["concert", "status"])]

    def __str__(self) -> str:
        return f"{self.user_id} @ concert {self.concert_id}: {self.status}"


class QueueControl(models.Model):
    """Staff's admission controls for one concert, kept here so a Redis that lost its data
    gets them back: the admin writes this row first, then its Redis copy."""

    concert = models.OneToOneField(
        "concerts.Concert", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    paused = models.BooleanField(default=False)
    # None: QUEUE_MAX_ACTIVE_USERS applies.
    active_cap = models.PositiveIntegerField(null=True, blank=True)
    # The proof of work asked at join (queueing.challenge): the most attempts a browser may
    # need, 0 = none. None: QUEUE_CHALLENGE_MAXNUMBER applies.
    challenge_maxnumber = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"concert {self.concert_id}: paused={self.paused} cap={self.active_cap}"


class Draw(models.Model):
    """A concert's commit-reveal draw of its pre-queue (queueing.draw explains the rule).

    Created once when the pre-queue opens: `seed` is secret and only `commitment`
    (sha256 of the seed) is public. At the first tick after sale start the pre-queue is
    ordered by HMAC-SHA256(seed, entry_id); then `drawn_at` is set and the seed and the
    ordered entry ids become public. Nothing is ever changed after `drawn_at`.
    """

    concert = models.OneToOneField(
        "concerts.Concert", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    seed = models.CharField(max_length=64, help_text="32 random bytes, hex; secret until drawn.")
    commitment = models.CharField(max_length=64, help_text="sha256(seed bytes), hex.")
    created_at = models.DateTimeField(auto_now_add=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    # The entry ids in drawn order (a JSON list of hex strings), set with drawn_at.
    entries = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"draw for concert {self.concert_id}"

    @property
    def is_drawn(self) -> bool:
        return self.drawn_at is not None
