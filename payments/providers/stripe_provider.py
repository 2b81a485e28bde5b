"""Stripe PaymentIntents through the official SDK (a StripeClient per provider instance)."""

from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import (
    InvalidWebhookSignature,
    PaymentProvider,
    ProviderCardError,
    ProviderEvent,
    ProviderIntent,
    ProviderRefund,
    ProviderRequestError,
)


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict(recursive=True, for_json=True)
    return dict(obj or {})


def _intent_from_stripe(intent: Any) -> ProviderIntent:
    raw = _as_dict(intent)
    error = raw.get("last_payment_error") or {}
    return ProviderIntent(
        id=raw["id"],
        client_secret=raw.get("client_secret") or "",
        status=raw.get("status") or "",
        amount_minor=int(raw.get("amount") or 0),
        currency=(raw.get("currency") or "").lower(),
        metadata={str(k): str(v) for k, v in (raw.get("metadata") or {}).items()},
        raw=raw,
        failure_code=error.get("decline_code") or error.get("code") or "",
        failure_message=error.get("message") or "",
    )


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(self, *, http_client: stripe.HTTPClient | None = None) -> None:
        if not settings.STRIPE_SECRET_KEY:
            raise ImproperlyConfigured("PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY.")
        # The requests-based client explicitly (the SDK's usual default when requests is
        # installed), so tests stub HTTP at the network edge with `responses`.
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            http_client=http_client or stripe.RequestsClient(),
            max_network_retries=2,  # safe: every write carries an idempotency key
        )

    @property
    def publishable_key(self) -> str:
        return settings.STRIPE_PUBLISHABLE_KEY

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
        params: dict[str, Any] = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "metadata": metadata,
            "automatic_payment_methods": {"enabled": True},
        }
        if description:
            params["description"] = description
        if receipt_email:
            # Stripe emails its own receipt once the payment succeeds.
            params["receipt_email"] = receipt_email
        try:
            intent = self.client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise ProviderRequestError(str(exc.user_message or exc)) from exc
        return _intent_from_stripe(intent)

    def intent_retrieve(self, *, intent_id: str) -> ProviderIntent:
        try:
            intent = self.client.v1.payment_intents.retrieve(intent_id)
        except stripe.StripeError as exc:
            raise ProviderRequestError(str(exc.user_message or exc)) from exc
        return _intent_from_stripe(intent)

    def refund_create(
        self, *, intent_id: str, amount_minor: int, idempotency_key: str, reason: str
    ) -> ProviderRefund:
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": intent_id,
                    "amount": amount_minor,
                    # Stripe accepts only its own reasons; ours travels in metadata.
                    "reason": "requested_by_customer",
                    "metadata": {"reason": reason[:500]},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as exc:
            raise ProviderCardError(str(exc.user_message or exc), code=exc.code or "") from exc
        except stripe.StripeError as exc:
            raise ProviderRequestError(str(exc.user_message or exc)) from exc
        raw = _as_dict(refund)
        return ProviderRefund(
            id=raw["id"],
            status=raw.get("status") or "",
            amount_minor=int(raw.get("amount") or 0),
            raw=raw,
        )

    def webhook_event_parse(self, *, payload: bytes, signature_header: str) -> ProviderEvent:
        return stripe_webhook_event_parse(payload=payload, signature_header=signature_header)


def stripe_webhook_event_parse(*, payload: bytes, signature_header: str) -> ProviderEvent:
    """Verify a Stripe webhook over the raw body with STRIPE_WEBHOOK_SECRET (no API key needed)."""
    try:
        event = stripe.Webhook.construct_event(
            payload, signature_header, settings.STRIPE_WEBHOOK_SECRET
        )
    except (stripe.SignatureVerificationError, ValueError, KeyError, TypeError) as exc:
        # ValueError covers a body that is not UTF-8 or not JSON; the others a JSON body
        # that is not an event (only possible with a valid signature, i.e. from Stripe).
        raise InvalidWebhookSignature(str(exc)) from exc
    raw = _as_dict(event)
    try:
        return ProviderEvent(
            id=str(raw["id"]),
            type=str(raw["type"]),
            data_object=dict(raw["data"]["object"]),
            raw=raw,
        )
    except (KeyError, TypeError) as exc:
        raise InvalidWebhookSignature("Malformed event.") from exc
