"""The rules checkout keeps around the provider: no network inside a transaction, a refund
decided is a refund made (retried until it is), and payments stays a library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from bookings import errors as booking_errors
from bookings import services as booking_services
from bookings.models import Booking, Ticket
from checkout import services as checkout
from checkout.services import ConfirmStatus
from payments import services as payment_services
from payments.errors import PaymentProviderError
from payments.models import Payment
from payments.providers.base import ProviderRequestError
from payments.providers.fake_provider import FakeProvider
from tests.bookings.conftest import CARD_OK, assert_seats_balance
from tests.factories import TicketCategoryFactory


class WatchedProvider(FakeProvider):
    """The fake provider, remembering each call and whether a transaction was open, and
    failing refunds while `refunds_fail` is set."""

    calls: list[tuple[str, bool]] = []
    refunds_fail = False

    def _seen(self, name: str) -> None:
        self.calls.append((name, connection.in_atomic_block))

    def intent_create(self, **kwargs):
        self._seen("intent_create")
        return super().intent_create(**kwargs)

    def intent_retrieve(self, **kwargs):
        self._seen("intent_retrieve")
        return super().intent_retrieve(**kwargs)

    def intent_pay(self, **kwargs):
        self._seen("intent_pay")
        return super().intent_pay(**kwargs)

    def refund_create(self, **kwargs):
        self._seen("refund_create")
        if WatchedProvider.refunds_fail:
            raise ProviderRequestError("Stripe is down")
        return super().refund_create(**kwargs)


@pytest.fixture
def provider(monkeypatch):
    WatchedProvider.calls = []
    WatchedProvider.refunds_fail = False
    monkeypatch.setattr(payment_services, "get_provider", lambda name=None: WatchedProvider())
    return WatchedProvider


def _paid_elsewhere(booking: Booking) -> str:
    payment = payment_services.payment_intent_create(booking=booking)
    FakeProvider().intent_pay(intent_id=payment.intent_id, card_number=CARD_OK)
    return payment.intent_id


def _late_with_seats_gone(*, user, make_user, concert, hold, overdue) -> tuple[Booking, str]:
    small = TicketCategoryFactory(concert=concert, total_seats=2)
    booking = hold(user, small, 2)
    intent_id = _paid_elsewhere(booking)
    overdue(booking)
    booking_services.booking_expire_overdue()
    hold(make_user(), small, 2)  # someone else takes the released seats
    return booking, intent_id


# --- no network inside a transaction -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_no_provider_call_happens_inside_a_transaction(
    user, make_user, concert, category, hold, overdue, provider
):
    """Every path that reaches the provider: confirm, fake pay, late payment refunded, a
    cancelled booking paid, the box office's cancel with refund, the refund sweep."""
    assert not connection.in_atomic_block  # the baseline: autocommit, no test transaction

    booking = hold(user, category, 2)
    checkout.booking_confirm(booking_id=booking.pk, payment_intent_id=_paid_elsewhere(booking))
    checkout.booking_cancel_confirmed(booking_id=booking.pk, reason="Show moved")

    fan = make_user()
    booking = hold(fan, category, 1)
    payment = payment_services.payment_intent_create(booking=booking)
    checkout.fake_payment_pay(payment_intent_id=payment.intent_id, card_number=CARD_OK)

    late, intent_id = _late_with_seats_gone(
        user=make_user(), make_user=make_user, concert=concert, hold=hold, overdue=overdue
    )
    provider.refunds_fail = True
    assert not checkout.booking_confirm(booking_id=late.pk, payment_intent_id=intent_id).confirmed
    provider.refunds_fail = False
    assert checkout.booking_refunds_settle_due() == 1

    dithering = make_user()
    cancelled = hold(dithering, category, 1)
    intent_id = _paid_elsewhere(cancelled)
    booking_services.booking_cancel(user=dithering)
    outcome = checkout.booking_confirm(booking_id=cancelled.pk, payment_intent_id=intent_id)
    assert outcome.status == ConfirmStatus.REFUNDED_CANCELLED

    called = {name for name, _ in provider.calls}
    assert {"intent_create", "intent_retrieve", "intent_pay", "refund_create"} <= called
    inside = [name for name, in_transaction in provider.calls if in_transaction]
    assert inside == [], f"provider called inside a transaction: {inside}"


# --- a refund decided is a refund made ---------------------------------------------------


@pytest.mark.django_db
def test_a_refund_that_fails_after_the_decision_is_retried_to_completion(
    user,
    make_user,
    concert,
    hold,
    overdue,
    provider,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    booking, intent_id = _late_with_seats_gone(
        user=user, make_user=make_user, concert=concert, hold=hold, overdue=overdue
    )
    provider.refunds_fail = True

    with django_capture_on_commit_callbacks(execute=False) as scheduled:
        outcome = checkout.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)

    # The decision is recorded; the money is not back yet, and the fan is told so.
    assert outcome.status == ConfirmStatus.REFUNDED_SEATS_GONE
    assert outcome.refund_settled is False
    refusal = outcome.refusal()
    assert refusal is not None
    assert refusal.code == "booking_expired"
    assert refusal.extra == {"refunded": False, "refund_pending": True}
    booking.refresh_from_db()
    assert booking.refund_reason == checkout.REFUND_SEATS_GONE
    assert booking.refunded_at is None
    assert Payment.objects.get(booking=booking).status == Payment.Status.SUCCEEDED
    assert len(scheduled) == 1  # the retry task, enqueued after commit

    # The provider is back: the scheduled task finishes the refund, once.
    provider.refunds_fail = False
    with django_capture_on_commit_callbacks(execute=True):
        scheduled[0]()
    booking.refresh_from_db()
    assert booking.refunded_at is not None
    assert Payment.objects.get(booking=booking).status == Payment.Status.REFUNDED
    assert [m.to for m in mailoutbox] == [[user.email]]
    assert "refunded" in mailoutbox[0].subject

    # A later confirm (or webhook delivery) changes nothing and sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(booking_errors.BookingExpired):
            checkout.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)
        assert checkout.booking_refunds_settle_due() == 0
    assert len(mailoutbox) == 1
    assert_seats_balance(booking.category)


@pytest.mark.django_db
def test_the_sweep_settles_a_refund_whose_retries_ran_out(
    user, make_user, concert, hold, overdue, provider, django_capture_on_commit_callbacks
):
    booking, intent_id = _late_with_seats_gone(
        user=user, make_user=make_user, concert=concert, hold=hold, overdue=overdue
    )
    provider.refunds_fail = True
    with django_capture_on_commit_callbacks(execute=True):  # the eager task fails too
        checkout.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)
    assert checkout.booking_refunds_settle_due() == 0  # still down: stays due
    booking.refresh_from_db()
    assert booking.refunded_at is None

    provider.refunds_fail = False
    from checkout.tasks import settle_due_refunds

    assert settle_due_refunds.name == "checkout.tasks.settle_due_refunds"
    assert "checkout.tasks.settle_due_refunds" in {
        entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert settle_due_refunds.delay().get() == 1
    booking.refresh_from_db()
    assert booking.refunded_at is not None
    assert Payment.objects.get(booking=booking).status == Payment.Status.REFUNDED


@pytest.mark.django_db
def test_a_refund_is_never_made_for_a_booking_with_valid_tickets(user, category, hold, provider):
    booking = hold(user, category, 1)
    checkout.booking_confirm(booking_id=booking.pk, payment_intent_id=_paid_elsewhere(booking))
    # Even with a stray marker, a confirmed booking is not "refund due".
    Booking.objects.filter(pk=booking.pk).update(refund_reason="stray")
    assert checkout.booking_refunds_settle_due() == 0
    assert checkout.booking_refund_settle(booking_id=booking.pk) is False
    assert Payment.objects.get(booking=booking).status == Payment.Status.SUCCEEDED
    assert "refund_create" not in {name for name, _ in provider.calls}


# --- cancel with refund: all or nothing ---------------------------------------------------


@pytest.mark.django_db
def test_cancel_with_refund_changes_nothing_when_the_provider_refuses(
    user, category, hold, provider, mailoutbox, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 2)
    checkout.booking_confirm(booking_id=booking.pk, payment_intent_id=_paid_elsewhere(booking))
    category.refresh_from_db()
    seats_before = category.available_seats
    provider.refunds_fail = True

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PaymentProviderError):
        checkout.booking_cancel_confirmed(booking_id=booking.pk, reason="Show moved")

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.refunded_at is None
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.VALID}
    assert Payment.objects.get(booking=booking).status == Payment.Status.SUCCEEDED
    category.refresh_from_db()
    assert category.available_seats == seats_before
    assert mailoutbox == []

    provider.refunds_fail = False  # the box office tries again
    checkout.booking_cancel_confirmed(booking_id=booking.pk, reason="Show moved")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert_seats_balance(category)


# --- payments is a library ----------------------------------------------------------------


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (functions, TYPE_CHECKING blocks too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_payments_imports_no_other_app():
    root = Path(django_settings.BASE_DIR)
    other_apps = ("bookings", "checkout", "concerts", "queueing", "accounts")
    offenders = {
        str(path.relative_to(root)): sorted(
            name for name in _imported_modules(path) if name.split(".")[0] in other_apps
        )
        for path in (root / "payments").rglob("*.py")
        if "migrations" not in path.parts
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert offenders == {}
    # And no string import either (import_module("bookings...")).
    for path in (root / "payments").rglob("*.py"):
        if "migrations" not in path.parts:
            text = path.read_text()
            assert "import_module(" not in text or "bookings" not in text, path
