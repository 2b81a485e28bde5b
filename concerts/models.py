from django.db import models
from django.db.models import F, Q, Sum
from django.urls import reverse


class ConcertQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def with_seat_totals(self):
        """Annotate total_seats / available_seats: a concert's counts are its categories' sums."""
        return self.annotate(
            seats_total=Sum("categories__total_seats", default=0),
            seats_available=Sum("categories__available_seats", default=0),
        )


class Concert(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    venue = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    sale_starts_at = models.DateTimeField()
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConcertQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sale_starts_at__lt=F("starts_at")),
                name="concert_sale_starts_before_concert",
                violation_error_message="The sale must start before the concert.",
            ),
        ]
        indexes = [models.Index(fields=["published", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_at:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("concerts:detail", kwargs={"slug": self.slug})


class TicketCategory(models.Model):
    concert = models.ForeignKey(Concert, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="usd")
    total_seats = models.PositiveIntegerField()
    # The one scarce counter of a sale; it changes only by conditional UPDATEs
    # (bookings.services), never read-then-write.
    available_seats = models.PositiveIntegerField()
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["concert", "display_order", "id"]
        verbose_name_plural = "ticket categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(available_seats__gte=0) & Q(available_seats__lte=F("total_seats")),
                name="category_available_within_total",
                violation_error_message="Available seats must be between 0 and the total.",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="category_price_not_negative",
                violation_error_message="The price cannot be negative.",
            ),
            models.UniqueConstraint(
                fields=["concert", "name"], name="category_name_unique_per_concert"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concert.name} / {self.name}"
