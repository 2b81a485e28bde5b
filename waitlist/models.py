"""The sold-out waiting list: fans waiting for seats of a category, and the offers made to
them when seats come back."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class WaitlistEntry(models.Model):
    """A fan's request to be offered `quantity` seats of a sold-out category. List order is
    id order (the time of asking)."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offer open"
        DONE = "done", "Offer taken"
        LAPSED = "lapsed", "Offer lapsed"
        LEFT = "left", "Left the list"

    LIVE_STATUSES = (Status.WAITING, Status.OFFERED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    concert = models.ForeignKey(
        "concerts.Concert", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    category = models.ForeignKey(
        "concerts.TicketCategory", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    quantity = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("id",)
        verbose_name = "waiting-list entry"
        verbose_name_plural = "waiting-list entries"
        constraints = [
            # One live entry per fan and category: two racing joins cannot both stand.
            models.UniqueConstraint(
                fields=("user", "category"),
                condition=Q(status__in=("waiting", "offered")),
                name="waitlist_one_live_entry_per_fan_category",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="waitlist_quantity_positive"),
        ]
        indexes = [models.Index(fields=("category", "status", "id"), name="waitlist_line")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.quantity} x {self.category_id} ({self.status})"


class WaitlistOffer(models.Model):
    """Seats reserved (taken from available_seats) for one entry until `expires_at`. One
    offer per entry at most (the one-to-one is the database's guard against offering an
    entry twice)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        TAKEN = "taken", "Taken"
        LAPSED = "lapsed", "Lapsed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    entry = models.OneToOneField(WaitlistEntry, on_delete=models.CASCADE, related_name="offer")
    category = models.ForeignKey(
        "concerts.TicketCategory", on_delete=models.CASCADE, related_name="waitlist_offers"
    )
    quantity = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    booking = models.OneToOneField(
        "bookings.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_offer",
    )

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=("status", "expires_at"), name="waitlist_offer_due")]

    def __str__(self) -> str:
        return f"offer #{self.pk}: {self.quantity} seats ({self.status})"
