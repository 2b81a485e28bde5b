from django.db import models


class Payment(models.Model):
    """One provider payment intent for one booking; a declined intent is paid again, not replaced."""

    class Status(models.TextChoices):
        REQUIRES_PAYMENT = "requires_payment", "Awaiting payment"
        PROCESSING = "processing", "Processing"
        FAILED = "failed", "Failed"
        SUCCEEDED = "succeeded", "Succeeded"
        REFUNDED = "refunded", "Refunded"

    class Provider(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        FAKE = "fake", "Fake (no money moves)"

    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.PROTECT, related_name="payments"
    )
    provider = models.CharField(max_length=16, choices=Provider.choices)
    intent_id = models.CharField(max_length=255, unique=True)
    client_secret = models.CharField(max_length=255, editable=False)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.REQUIRES_PAYMENT
    )
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    refund_id = models.CharField(max_length=255, blank=True)
    refund_status = models.CharField(max_length=32, blank=True)
    refund_reason = models.CharField(max_length=255, blank=True)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # The provider's last answer about this intent, kept for support and audits.
    provider_response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "provider"], name="payment_one_intent_per_booking"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created")]

    def __str__(self) -> str:
        return self.intent_id


class ProcessedWebhookEvent(models.Model):
    """A provider event handled once: a replayed or duplicated delivery finds its id here."""

    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=64)
    provider = models.CharField(max_length=16, default=Payment.Provider.STRIPE)
    intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    outcome = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class FakeProviderIntent(models.Model):
    """The fake provider's own ledger (its "remote" side), so verification asks something
    other than our Payment row, as it would with Stripe."""

    intent_id = models.CharField(max_length=255, unique=True)
    client_secret = models.CharField(max_length=255)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    metadata = models.JSONField(default=dict)
    status = models.CharField(max_length=32, default="requires_payment_method")
    idempotency_key = models.CharField(max_length=255, unique=True)
    last_payment_error = models.JSONField(null=True, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    amount_refunded_minor = models.BigIntegerField(default=0)
    refund_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.intent_id
