from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Sum
from django.urls import reverse

from config.formatting import available_timezones, is_iso_currency

# Messages shared by model validation, the admin, the services and the tests.
SALE_AFTER_START_MESSAGE = "The sale must start before the concert."
AVAILABLE_OUT_OF_RANGE_MESSAGE = "Available seats must be between 0 and the total."
NEGATIVE_PRICE_MESSAGE = "The price cannot be negative."
NO_SEATS_MESSAGE = "A category needs at least one seat."
CURRENCY_MESSAGE = "Use a three-letter ISO 4217 currency code, e.g. usd."
TIMEZONE_MESSAGE = "Use an IANA time zone name, e.g. Europe/London or America/Los_Angeles."


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(TIMEZONE_MESSAGE, code="invalid_timezone")


def validate_currency(value: str) -> None:
    if not is_iso_currency(value):
        raise ValidationError(CURRENCY_MESSAGE, code="invalid_currency")


class ConcertQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def with_seat_totals(self):
        """Annotate seats_total / seats_available: a concert's counts are its categories' sums."""
        return self.annotate(
            seats_total=Sum("categories__total_seats", default=0),
            seats_available=Sum("categories__available_seats", default=0),
        )


class Concert(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=220, unique=True, help_text="Part of the concert page's address."
    )
    venue = models.CharField(max_length=200)
    # Pages, emails, tickets and the admin show and take times in the venue's zone;
    # the database and the API keep them in UTC.
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="The venue's IANA time zone, e.g. Europe/London. Times are shown in it.",
    )
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField(help_text="When the doors open / the show starts.")
    sale_starts_at = models.DateTimeField(
        help_text="When the waiting room starts admitting fans to buy tickets."
    )
    doors_open_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the door staff may start admitting ticket holders. Empty: "
        "CHECKIN_OPENS_BEFORE_MINUTES before the start.",
    )
    published = models.BooleanField(
        default=False, help_text="Only published concerts are listed and can be booked."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConcertQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sale_starts_at__lt=F("starts_at")),
                name="concert_sale_starts_before_concert",
                violation_error_message=SALE_AFTER_START_MESSAGE,
            ),
        ]
        indexes = [models.Index(fields=["published", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_at:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("concerts:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        # Same rule as the check constraint, but attached to the field a staff member edits.
        if self.starts_at and self.sale_starts_at and self.sale_starts_at >= self.starts_at:
            raise ValidationError({"sale_starts_at": SALE_AFTER_START_MESSAGE})


class TicketCategory(models.Model):
    concert = models.ForeignKey(Concert, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(max_length=100)
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(0, message=NEGATIVE_PRICE_MESSAGE)],
    )
    currency = models.CharField(
        max_length=3,
        default="usd",
        validators=[
            RegexValidator(r"^[A-Za-z]{3}$", message=CURRENCY_MESSAGE),
            validate_currency,
        ],
        help_text="ISO 4217 code, stored in lower case (usd, eur, gbp, jpy).",
    )
    total_seats = models.PositiveIntegerField(
        validators=[MinValueValidator(1, message=NO_SEATS_MESSAGE)]
    )
    # The one scarce counter of a sale; it changes only by conditional UPDATEs
    # (bookings.services, concerts.services.category_update), never read-then-write.
    available_seats = models.PositiveIntegerField()
    display_order = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers are listed first."
    )

    class Meta:
        ordering = ["concert", "display_order", "id"]
        verbose_name_plural = "ticket categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(available_seats__gte=0) & Q(available_seats__lte=F("total_seats")),
                name="category_available_within_total",
                violation_error_message=AVAILABLE_OUT_OF_RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="category_price_not_negative",
                violation_error_message=NEGATIVE_PRICE_MESSAGE,
            ),
            models.UniqueConstraint(
                fields=["concert", "name"], name="category_name_unique_per_concert"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concert.name} / {self.name}"

    def save(self, *args, **kwargs) -> None:
        if self.currency:
            self.currency = self.currency.lower()
        super().save(*args, **kwargs)

    @property
    def seats_committed(self) -> int:
        """Seats sold or held by pending bookings: what the total may never shrink below."""
        return self.total_seats - self.available_seats

    def clean(self) -> None:
        if self.currency:
            self.currency = self.currency.lower()
        # A non-field error: a form may not show available_seats (the admin does not).
        if (
            self.total_seats is not None
            and self.available_seats is not None
            and self.available_seats > self.total_seats
        ):
            raise ValidationError(AVAILABLE_OUT_OF_RANGE_MESSAGE)
