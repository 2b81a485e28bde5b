"""A provider that moves no money, so the whole flow runs with no Stripe account.

Its ledger is the FakeProviderIntent table (shared by every web process), and its cards
mirror Stripe's test cards. It refuses to exist in production (DEBUG off) unless
PAYMENT_PROVIDER_FAKE_ALLOWED=1, on top of the same check in settings.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction

from .base import (
    InvalidWebhookSignature,
    PaymentProvider,
    ProviderEvent,
    ProviderIntent,
    ProviderRefund,
    ProviderRequestError,
)


@dataclass(frozen=True)
class TestCard:
    number: str
    label: str
    succeeds: bool
    decline_code: str = ""
    message: str = ""


# Stripe's documented test cards (https://docs.stripe.com/testing), same outcomes.
TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("4242424242424242", "Visa: succeeds", succeeds=True),
    TestCard("5555555555554444", "Mastercard: succeeds", succeeds=True),
    TestCard(
        "4000000000000002",
        "Declined (generic decline)",
        succeeds=False,
        decline_code="generic_decline",
        message="Your card was declined.",
    ),
    TestCard(
        "4000000000009995",
        "Declined (insufficient funds)",
        succeeds=False,
        decline_code="insufficient_funds",
        message="Your card has insufficient funds.",
    ),
    TestCard(
        "4000000000009987",
        "Declined (lost card)",
        succeeds=False,
        decline_code="lost_card",
        message="Your card was declined.",
    ),
    TestCard(
        "4000000000000069",
        "Declined (expired card)",
        succeeds=False,
        decline_code="expired_card",
        message="Your card has expired.",
    ),
    TestCard(
        "4000000000000127",
        "Declined (incorrect CVC)",
        succeeds=False,
        decline_code="incorrect_cvc",
        message="Your card's security code is incorrect.",
    ),
)
CARDS_BY_NUMBER = {card.number: card for card in TEST_CARDS}
UNKNOWN_CARD = TestCard(
    "",
    "Unknown card",
    succeeds=False,
    decline_code="incorrect_number",
    message="Your card number is incorrect. Use one of the test cards.",
)


def normalise_card_number(card_number: str) -> str:
    return "".join(ch for ch in str(card_number) if ch.isdigit())


def fake_provider_check_allowed() -> None:
    # Checked again here, not only in production.py: the test runner turns DEBUG off at run
    # time (config.settings.test allows the fake provider explicitly).
    if not (settings.DEBUG or settings.PAYMENT_PROVIDER_FAKE_ALLOWED):
        raise ImproperlyConfigured(
            "The fake payment provider takes no money and is refused with DEBUG off "
            "(set PAYMENT_PROVIDER_FAKE_ALLOWED=1 for a staging site)."
        )


def _intent_answer(row: Any) -> ProviderIntent:
    error = row.last_payment_error or {}
    raw = {
        "id": row.intent_id,
        "object": "payment_intent",
        "amount": row.amount_minor,
        "amount_received": row.amount_minor if row.status == "succeeded" else 0,
        "currency": row.currency,
        "status": row.status,
        "metadata": dict(row.metadata),
        "last_payment_error": row.last_payment_error,
        "livemode": False,
        "provider": "fake",
    }
    return ProviderIntent(
        id=row.intent_id,
        client_secret=row.client_secret,
        status=row.status,
        amount_minor=row.amount_minor,
        currency=row.currency,
        metadata={str(k): str(v) for k, v in row.metadata.items()},
        raw=raw,
        failure_code=error.get("decline_code", ""),
        failure_message=error.get("message", ""),
    )


class FakeProvider(PaymentProvider):
    name = "fake"

    def __init__(self) -> None:
        fake_provider_check_allowed()

    @property
    def publishable_key(self) -> str:
        return "pk_fake_boxoffice"

    def _model(self):
        from payments.models import FakeProviderIntent

        return FakeProviderIntent

    def intent_create(
        self,
        *,
        amount_minor: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
        description: str = "",
        receipt_email: str = "",
    ) -> ProviderIntent:
        model = self._model()
        existing = model.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _intent_answer(existing)
        intent_id = f"pi_fake_{secrets.token_hex(12)}"
        try:
            with transaction.atomic():
                row = model.objects.create(
                    intent_id=intent_id,
                    client_secret=f"{intent_id}_secret_{secrets.token_urlsafe(18)}",
                    amount_minor=amount_minor,
                    currency=currency.lower(),
                    metadata=metadata,
                    idempotency_key=idempotency_key,
                )
        except IntegrityError:
            # A concurrent request with the same key won: answer with its intent, as Stripe does.
            row = model.objects.get(idempotency_key=idempotency_key)
        return _intent_answer(row)

    def intent_retrieve(self, *, intent_id: str) -> ProviderIntent:
        row = self._model().objects.filter(intent_id=intent_id).first()
        if row is None:
            raise ProviderRequestError(f"No such payment_intent: '{intent_id}'")
        return _intent_answer(row)

    def intent_pay(self, *, intent_id: str, card_number: str) -> ProviderIntent:
        """Charge a test card. A succeeded intent stays succeeded (no double charge); a
        declined one goes back to requires_payment_method and may be paid again."""
        card = CARDS_BY_NUMBER.get(normalise_card_number(card_number), UNKNOWN_CARD)
        model = self._model()
        with transaction.atomic():
            row = model.objects.select_for_update().filter(intent_id=intent_id).first()
            if row is None:
                raise ProviderRequestError(f"No such payment_intent: '{intent_id}'")
            if row.status != "requires_payment_method":
                return _intent_answer(row)
            if card.succeeds:
                row.status = "succeeded"
                row.last_payment_error = None
            else:
                row.last_payment_error = {
                    "code": "card_declined",
                    "decline_code": card.decline_code,
                    "message": card.message,
                    "type": "card_error",
                }
            row.card_last4 = normalise_card_number(card_number)[-4:]
            row.save(update_fields=["status", "last_payment_error", "card_last4", "updated_at"])
        return _intent_answer(row)

    def refund_create(
        self, *, intent_id: str, amount_minor: int, idempotency_key: str, reason: str
    ) -> ProviderRefund:
        model = self._model()
        with transaction.atomic():
            row = model.objects.select_for_update().filter(intent_id=intent_id).first()
            if row is None:
                raise ProviderRequestError(f"No such payment_intent: '{intent_id}'")
            if row.status != "succeeded":
                raise ProviderRequestError("This PaymentIntent has no successful charge to refund.")
            if not row.refund_id:
                row.refund_id = f"re_fake_{secrets.token_hex(12)}"
                row.amount_refunded_minor = amount_minor
                row.save(update_fields=["refund_id", "amount_refunded_minor", "updated_at"])
        raw = {
            "id": row.refund_id,
            "object": "refund",
            "amount": row.amount_refunded_minor,
            "payment_intent": row.intent_id,
            "status": "succeeded",
            "metadata": {"reason": reason[:500]},
        }
        return ProviderRefund(
            id=row.refund_id, status="succeeded", amount_minor=row.amount_refunded_minor, raw=raw
        )

    def webhook_event_parse(self, *, payload: bytes, signature_header: str) -> ProviderEvent:
        raise InvalidWebhookSignature("The fake provider sends no webhooks.")
