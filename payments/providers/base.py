"""What the payments services need from a provider, and the plain values providers answer with.

Services never see an SDK object: each provider turns its answers into these dataclasses,
keeping the raw answer (a JSON-safe dict) for the Payment's audit trail.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import get_currency_precision

# Where Stripe departs from ISO 4217 / CLDR: it takes these as two-decimal amounts
# (ISK and HUF have no minor unit in CLDR, yet Stripe wants 1000 ISK as 100000).
PROVIDER_EXPONENT_OVERRIDES = {"isk": 2, "huf": 2}


def currency_exponent(currency: str) -> int:
    """Decimal digits of the provider's minor unit: usd 2, jpy 0, kwd 3 (CLDR via Babel)."""
    code = currency.lower()
    if code in PROVIDER_EXPONENT_OVERRIDES:
        return PROVIDER_EXPONENT_OVERRIDES[code]
    return get_currency_precision(code.upper())


def to_minor_units(amount: Decimal, currency: str) -> int:
    """49.00 usd -> 4900; 5000 jpy -> 5000; 12.50 kwd -> 12500."""
    return int(amount.scaleb(currency_exponent(currency)).quantize(Decimal("1"), ROUND_HALF_UP))


def from_minor_units(amount_minor: int, currency: str) -> Decimal:
    """4900 usd -> 49.00; 5000 jpy -> 5000.00; 12500 kwd -> 12.50 (two places at least, as stored)."""
    exponent = currency_exponent(currency)
    return Decimal(amount_minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-max(exponent, 2)))


@dataclass(frozen=True)
class ProviderIntent:
    id: str
    client_secret: str
    status: str  # the provider's words, Stripe's vocabulary: succeeded, requires_payment_method...
    amount_minor: int
    currency: str
    metadata: dict[str, str]
    raw: dict[str, Any] = field(default_factory=dict)
    failure_code: str = ""
    failure_message: str = ""


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    status: str  # succeeded, pending, failed...
    amount_minor: int
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event: id, type and the object it is about (as a dict)."""

    id: str
    type: str
    data_object: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)


class ProviderRequestError(Exception):
    """The provider could not be reached, or answered with a non-card error."""


class ProviderCardError(Exception):
    """The provider declined the card (code is Stripe's, e.g. card_declined, insufficient_funds)."""

    def __init__(self, message: str, *, code: str, decline_code: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.decline_code = decline_code


class InvalidWebhookSignature(Exception):
    """The webhook's body or signature header does not verify."""


class PaymentProvider(abc.ABC):
    name: str

    @property
    @abc.abstractmethod
    def publishable_key(self) -> str: ...

    @abc.abstractmethod
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
        """Create the intent, or return the one this idempotency key already created."""

    @abc.abstractmethod
    def intent_retrieve(self, *, intent_id: str) -> ProviderIntent: ...

    @abc.abstractmethod
    def refund_create(
        self, *, intent_id: str, amount_minor: int, idempotency_key: str, reason: str
    ) -> ProviderRefund: ...

    @abc.abstractmethod
    def webhook_event_parse(self, *, payload: bytes, signature_header: str) -> ProviderEvent:
        """Verify and parse a webhook body; raise InvalidWebhookSignature if it does not verify."""
