import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

# Crockford-style alphabet: no 0/O or 1/I/L to misread at a box office window.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return "BO-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


# Ticket codes in Crockford base32: no I, L, O or U, so a code read aloud or typed from
# paper cannot be misread. 16 symbols carry 80 bits from the OS's CSPRNG (unguessable),
# grouped XXXX-XXXX-XXXX-XXXX for reading. Codes issued before (token_urlsafe, 22
# characters, case-sensitive) keep working: they are looked up exactly as stored.
TICKET_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TICKET_CODE_SYMBOLS = 16
TICKET_CODE_GROUP = 4
# What people type for a symbol the alphabet leaves out (Crockford's decoding rules).
_TICKET_CODE_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _group(symbols: str) -> str:
    return "-".join(
        symbols[i : i + TICKET_CODE_GROUP] for i in range(0, len(symbols), TICKET_CODE_GROUP)
    )


def new_ticket_code() -> str:
    return _group("".join(secrets.choice(TICKET_CODE_ALPHABET) for _ in range(TICKET_CODE_SYMBOLS)))


def ticket_code_normalise(typed: str) -> str | None:
    """The stored form of a typed or scanned Crockford code (any case, spaces or dashes
    anywhere, O for 0, I or L for 1), or None when it cannot be one of ours."""
    symbols = "".join(typed.split()).replace("-", "").upper().translate(_TICKET_CODE_LOOKALIKES)
    if len(symbols) != TICKET_CODE_SYMBOLS or any(c not in TICKET_CODE_ALPHABET for c in symbols):
        return None
    return _group(symbols)


def ticket_code_candidates(typed: str) -> set[str]:
    """The stored codes a typed code may stand for: itself as given (a code of the old
    format is case-sensitive) and its normalised Crockford form. The two formats differ in
    length, so at most one ticket matches."""
    exact = typed.strip()
    normalised = ticket_code_normalise(typed)
    return {exact, normalised} if normalised else {exact}


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending payment"
        CONFIRMED = "confirmed", "Confirmed"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=16, unique=True, default=new_reference, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    concert = models.ForeignKey(
        "concerts.Concert", on_delete=models.PROTECT, related_name="bookings"
    )
    category = models.ForeignKey(
        "concerts.TicketCategory", on_delete=models.PROTECT, related_name="bookings"
    )
    quantity = models.PositiveSmallIntegerField()
    # Money is snapshotted at hold time: a later price change does not touch this booking.
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    # A payment that arrived after the hold was gone (seats resold) or for a cancelled
    # booking is given back; these record that it was, so it happens once.
    refunded_at = models.DateTimeField(null=True, blank=True)
    refund_reason = models.CharField(max_length=200, blank=True)
    # Set when staff must act (money taken back in Stripe after a ticket was used, a bank
    # dispute): what happened and what is expected; the admin filters on it.
    attention_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending"),
                name="booking_one_pending_per_user",
                violation_error_message="You already have a booking waiting for payment.",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="booking_quantity_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="booking_status_expiry"),
            models.Index(fields=["user", "concert", "status"], name="booking_user_concert"),
        ]

    def __str__(self) -> str:
        return self.reference


class Ticket(models.Model):
    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        CHECKED_IN = "checked_in", "Checked in"
        VOID = "void", "Void"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="tickets")
    code = models.CharField(max_length=32, unique=True, default=new_ticket_code, editable=False)
    seat_label = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VALID)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    # Which entrance admitted it (free text the door staff chose; empty: not said).
    checked_in_door = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["booking", "id"]

    def __str__(self) -> str:
        return self.code
