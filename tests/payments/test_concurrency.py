"""Races on PostgreSQL with real threads: one intent per booking, each event handled once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from checkout import services as checkout_services
from payments import services
from payments.models import FakeProviderIntent, Payment, ProcessedWebhookEvent
from payments.providers.base import ProviderEvent
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def _race(work: Callable[[], object]) -> tuple[list, list]:
    """Run `work` on THREADS threads at once; (what they returned, what they raised)."""
    outcomes = run_concurrently(lambda _: work(), range(THREADS))
    errors = [o for o in outcomes if isinstance(o, Exception)]
    return [o for o in outcomes if not isinstance(o, Exception)], errors


def test_simultaneous_create_intent_calls_make_one_intent(booking):
    results, errors = _race(lambda: services.payment_intent_create(booking=booking).intent_id)

    assert errors == []
    assert len(set(results)) == 1
    assert Payment.objects.count() == 1
    assert FakeProviderIntent.objects.count() == 1


def test_one_event_delivered_many_times_at_once_is_handled_once(booking):
    payment = services.payment_intent_create(booking=booking)
    FakeProviderIntent.objects.update(status="succeeded")
    event = ProviderEvent(
        id="evt_dup_1",
        type="payment_intent.succeeded",
        data_object={"id": payment.intent_id, "object": "payment_intent", "status": "succeeded"},
    )

    results, errors = _race(
        lambda: checkout_services.payment_event_process(event=event, provider="fake")
    )

    assert errors == []
    assert sorted(results) == ["booking_confirmed"] + ["duplicate"] * (THREADS - 1)
    assert ProcessedWebhookEvent.objects.count() == 1
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert booking.tickets.count() == booking.quantity


def test_paying_one_intent_from_many_tabs_confirms_once(booking):
    payment = services.payment_intent_create(booking=booking)

    results, errors = _race(
        lambda: (
            checkout_services.fake_payment_pay(
                payment_intent_id=payment.intent_id, card_number="4242424242424242"
            ).status
        )
    )

    assert errors == []
    assert results == ["succeeded"] * THREADS
    assert ProcessedWebhookEvent.objects.count() == 1
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert booking.tickets.count() == booking.quantity
