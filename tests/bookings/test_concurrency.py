"""Invariants that concurrency could break, shown with real threads on PostgreSQL + Redis.

Races run through tests.concurrency.run_concurrently (a Barrier starts the threads
together, each closes its own connection). Beside each protected race sits its control
(`@pytest.mark.control`): the same race without the protection, shown to go wrong.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from bookings import services
from bookings.models import Booking, Ticket
from checkout import services as checkout_services
from concerts.models import TicketCategory
from payments import services as payment_services
from payments.models import Payment
from payments.providers.fake_provider import FakeProvider
from queueing import services as queue_services
from tests.bookings.conftest import CARD_OK, assert_seats_balance, seats_balance
from tests.concurrency import outcome_codes, returned_values, run_concurrently
from tests.factories import TicketCategoryFactory, TicketFactory, make_fans

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def admit(fans: list, concert) -> None:
    """Give every fan a slot at once. These races test the seat counter itself, so more fans
    than seats must reach it: the turnstile, which admits by stock (tests/queueing/
    test_stock.py), is told to ignore the stock here."""
    for fan in fans:
        queue_services.queue_join(user_id=fan.pk, concert=concert)
    with mock.patch.object(queue_services, "_stock", return_value=None):
        queue_services.queue_admit_next(concert_id=concert.pk)
    for fan in fans:
        assert queue_services.queue_slot_is_active(user_id=fan.pk, concert_id=concert.pk)


@pytest.fixture
def big_cap(settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 5000


def test_200_fans_racing_for_50_seats_get_50_holds(concert, big_cap):
    category = TicketCategoryFactory(concert=concert, total_seats=50)
    fans = make_fans(200, "racer")
    admit(fans, concert)

    outcomes = outcome_codes(
        run_concurrently(
            lambda fan: services.booking_create(user=fan, category_id=category.pk, quantity=1),
            fans,
        )
    )

    assert outcomes == Counter({"ok": 50, "insufficient_seats": 150})
    category.refresh_from_db()
    assert category.available_seats == 0
    assert Booking.objects.filter(category=category, status=Booking.Status.PENDING).count() == 50
    assert_seats_balance(category)


@pytest.mark.control
def test_control_a_read_then_write_seat_decrement_oversells(concert, big_cap, monkeypatch):
    """Without the conditional UPDATE: every fan reads "5 left" before anyone writes, so
    10 holds of 1 seat succeed on a category of 5 and the seat count no longer balances."""
    category = TicketCategoryFactory(concert=concert, total_seats=5)
    fans = make_fans(10, "oversell")
    admit(fans, concert)
    all_have_read = threading.Barrier(len(fans))

    def seats_take_read_then_write(*, category_id: int, quantity: int) -> bool:
        available = TicketCategory.objects.get(pk=category_id).available_seats
        all_have_read.wait(timeout=30)
        if available < quantity:
            return False
        TicketCategory.objects.filter(pk=category_id).update(available_seats=available - quantity)
        return True

    monkeypatch.setattr(services, "seats_take", seats_take_read_then_write)

    outcomes = outcome_codes(
        run_concurrently(
            lambda fan: services.booking_create(user=fan, category_id=category.pk, quantity=1),
            fans,
        )
    )

    assert outcomes == Counter({"ok": 10})  # 10 holds of a category of 5 seats
    available, held, _sold, total = seats_balance(category)
    assert held == 10 > total
    assert available + held != total


def test_racing_fans_with_mixed_quantities_never_oversell(concert, big_cap):
    category = TicketCategoryFactory(concert=concert, total_seats=37)
    fans = make_fans(120, "mixed")
    admit(fans, concert)

    outcomes = outcome_codes(
        run_concurrently(
            lambda n_fan: services.booking_create(
                user=n_fan[1], category_id=category.pk, quantity=1 + n_fan[0] % 4
            ),
            enumerate(fans),
        )
    )

    assert set(outcomes) <= {"ok", "insufficient_seats"}
    category.refresh_from_db()
    assert category.available_seats >= 0
    assert category.available_seats < 4  # no request that would fit was refused
    assert_seats_balance(category)


def test_one_pending_booking_per_fan_under_concurrent_requests(concert, big_cap):
    category = TicketCategoryFactory(concert=concert, total_seats=500)
    fans = make_fans(5, "eager")
    admit(fans, concert)

    for fan in fans:
        outcomes = outcome_codes(
            run_concurrently(
                lambda fan: services.booking_create(user=fan, category_id=category.pk, quantity=1),
                [fan] * 12,
            )
        )
        assert outcomes == Counter({"ok": 1, "pending_booking_exists": 11}), outcomes
        assert Booking.objects.filter(user=fan, status=Booking.Status.PENDING).count() == 1
    assert_seats_balance(category)
    category.refresh_from_db()
    assert category.available_seats == 495


@pytest.fixture
def without_one_pending_index(transactional_db):
    """Drops the partial unique index booking_one_pending_per_user for one test (committed,
    so every thread's connection sees it gone), and puts it back afterwards."""
    (index,) = [c for c in Booking._meta.constraints if c.name == "booking_one_pending_per_user"]
    with connection.schema_editor() as editor:
        editor.remove_constraint(Booking, index)
    yield
    Booking.objects.filter(status=Booking.Status.PENDING).delete()  # duplicates block it
    with connection.schema_editor() as editor:
        editor.add_constraint(Booking, index)


@pytest.mark.control
def test_control_without_the_partial_unique_index_a_fan_gets_two_pending_bookings(
    concert, big_cap, monkeypatch, without_one_pending_index
):
    """The service's "no pending booking yet?" check alone is a check-then-insert: two
    requests that both check before either inserts both win."""
    category = TicketCategoryFactory(concert=concert, total_seats=10)
    (fan,) = make_fans(1, "twice")
    admit([fan], concert)
    both_inserted = threading.Barrier(2)
    seats_take = services.seats_take

    def seats_take_after_both_inserted(**kwargs) -> bool:
        # booking_create takes the seats right after its insert, in the same transaction:
        # each request has checked and inserted before either commits, so neither check
        # could see the other's booking.
        both_inserted.wait(timeout=30)
        return seats_take(**kwargs)

    monkeypatch.setattr(services, "seats_take", seats_take_after_both_inserted)

    outcomes = outcome_codes(
        run_concurrently(
            lambda fan: services.booking_create(user=fan, category_id=category.pk, quantity=1),
            [fan, fan],
        )
    )

    assert outcomes == Counter({"ok": 2})
    assert Booking.objects.filter(user=fan, status=Booking.Status.PENDING).count() == 2


def test_one_pending_booking_per_fan_through_the_api(concert, big_cap):
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    category = TicketCategoryFactory(concert=concert, total_seats=100)
    (fan,) = make_fans(1, "apifan")
    admit([fan], concert)
    token = str(RefreshToken.for_user(fan).access_token)

    def post(_) -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        response = client.post(
            "/api/v1/booking/", {"category_id": category.pk, "quantity": 2}, format="json"
        )
        if response.status_code == 409:
            assert response.json()["code"] == "pending_booking_exists"
        return response.status_code

    statuses = returned_values(run_concurrently(post, range(10)))

    assert sorted(statuses) == [201] + [409] * 9
    assert_seats_balance(category)


def test_confirm_racing_the_expiry_sweep_never_loses_seats(concert, big_cap):
    """Each round: a paid but overdue hold of the last 2 seats; the confirmation, the sweep
    and a rival fan wanting those seats all go at once. Whatever wins, the fan ends with
    tickets and seats, or with a refund and no tickets; seats always balance."""
    rounds = 30
    fans = make_fans(rounds, "payer")
    rivals = make_fans(rounds, "rival")
    admit(fans + rivals, concert)
    endings: Counter = Counter()

    for fan, rival in zip(fans, rivals, strict=True):
        category = TicketCategoryFactory(concert=concert, total_seats=2)
        booking = services.booking_create(user=fan, category_id=category.pk, quantity=2)
        payment = payment_services.payment_intent_create(booking=booking)
        FakeProvider().intent_pay(intent_id=payment.intent_id, card_number=CARD_OK)
        Booking.objects.filter(pk=booking.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )

        outcome_codes(
            run_concurrently(
                lambda step: step(),
                [
                    lambda b=booking, p=payment: checkout_services.booking_confirm(
                        booking_id=b.pk, payment_intent_id=p.intent_id
                    ),
                    services.booking_expire_overdue,
                    lambda c=category, r=rival: services.booking_create(
                        user=r, category_id=c.pk, quantity=2
                    ),
                ],
            )
        )

        booking.refresh_from_db()
        category.refresh_from_db()
        assert_seats_balance(category)
        tickets = Ticket.objects.filter(booking=booking).count()
        if booking.status == Booking.Status.CONFIRMED:
            assert tickets == 2
            assert booking.refunded_at is None
            assert category.available_seats == 0
            assert not Booking.objects.filter(
                user=rival, category=category, status=Booking.Status.PENDING
            ).exists()
        else:
            assert booking.status == Booking.Status.EXPIRED
            assert tickets == 0
            assert booking.refunded_at is not None
            assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUNDED
            assert Booking.objects.filter(
                user=rival, category=category, status=Booking.Status.PENDING
            ).exists()
        endings[booking.status] += 1
    assert sum(endings.values()) == rounds


@pytest.mark.control
def test_control_a_confirmation_without_the_row_lock_overwrites_the_expiry(concert, big_cap):
    """A confirmation that reads the booking, then saves it (no row lock, no conditional
    transition) while the sweep expires it in between: the expiry is lost, the booking ends
    confirmed and its seats were also given back, so they can be sold twice."""
    category = TicketCategoryFactory(concert=concert, total_seats=2)
    (fan,) = make_fans(1, "unlocked")
    admit([fan], concert)
    booking = services.booking_create(user=fan, category_id=category.pk, quantity=2)
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    confirm_has_read, sweep_is_done = threading.Event(), threading.Event()

    def confirm_without_the_lock() -> None:
        unlocked = Booking.objects.get(pk=booking.pk)
        confirm_has_read.set()
        assert sweep_is_done.wait(timeout=30)
        if unlocked.status == Booking.Status.PENDING:
            unlocked.status = Booking.Status.CONFIRMED
            unlocked.confirmed_at = timezone.now()
            unlocked.save()

    def sweep() -> int:
        assert confirm_has_read.wait(timeout=30)
        try:
            return services.booking_expire_overdue()
        finally:
            sweep_is_done.set()

    _, expired = returned_values(
        run_concurrently(lambda step: step(), [confirm_without_the_lock, sweep])
    )

    assert expired == 1  # the sweep expired it and released its seats...
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED  # ...then the stale save overwrote it
    assert booking.expired_at is None
    available, _held, sold, total = seats_balance(category)
    assert available + sold == 2 * total


def test_confirm_racing_cancel_is_clean(concert, big_cap):
    rounds = 20
    fans = make_fans(rounds, "dither")
    admit(fans, concert)
    category = TicketCategoryFactory(concert=concert, total_seats=100)
    for fan in fans:
        booking = services.booking_create(user=fan, category_id=category.pk, quantity=1)
        payment = payment_services.payment_intent_create(booking=booking)
        FakeProvider().intent_pay(intent_id=payment.intent_id, card_number=CARD_OK)
        outcome_codes(
            run_concurrently(
                lambda step: step(),
                [
                    lambda b=booking, p=payment: checkout_services.booking_confirm(
                        booking_id=b.pk, payment_intent_id=p.intent_id
                    ),
                    lambda f=fan: services.booking_cancel(user=f),
                ],
            )
        )
        booking.refresh_from_db()
        if booking.status == Booking.Status.CANCELLED:
            # Cancelled first: the payment that then arrived was given back.
            assert booking.refunded_at is not None
            assert not booking.tickets.exists()
        else:
            assert booking.status == Booking.Status.CONFIRMED
            assert booking.tickets.count() == 1
        assert_seats_balance(category)


def test_two_simultaneous_check_ins_admit_once(concert, big_cap, mailoutbox):
    category = TicketCategoryFactory(concert=concert, total_seats=50)
    (fan,) = make_fans(1, "goer")
    admit([fan], concert)
    booking = services.booking_create(user=fan, category_id=category.pk, quantity=6)
    payment = payment_services.payment_intent_create(booking=booking)
    checkout_services.fake_payment_pay(payment_intent_id=payment.intent_id, card_number=CARD_OK)
    codes = list(Ticket.objects.filter(booking=booking).values_list("code", flat=True))
    assert len(codes) == 6

    for code in codes:
        outcomes = outcome_codes(
            run_concurrently(lambda c: services.ticket_check_in(code=c), [code] * 4)
        )
        assert outcomes == Counter({"ok": 1, "already_checked_in": 3}), outcomes
    assert Ticket.objects.filter(booking=booking, status=Ticket.Status.CHECKED_IN).count() == 6


@pytest.mark.control
def test_control_check_ins_by_read_then_save_admit_one_ticket_many_times(big_cap):
    """Without the conditional UPDATE: four doors each read "valid" before any saves."""
    ticket = TicketFactory()
    all_have_read = threading.Barrier(4)

    def check_in_by_read_then_save(code: str) -> str:
        scanned = Ticket.objects.get(code=code)
        all_have_read.wait(timeout=30)
        if scanned.status != Ticket.Status.VALID:
            return "already_checked_in"
        scanned.status = Ticket.Status.CHECKED_IN
        scanned.checked_in_at = timezone.now()
        scanned.save()
        return "admitted"

    admissions = returned_values(run_concurrently(check_in_by_read_then_save, [ticket.code] * 4))

    assert admissions == ["admitted"] * 4


def test_paid_after_expiry_with_free_seats_confirms_and_emails(concert, big_cap, mailoutbox):
    category = TicketCategoryFactory(concert=concert, total_seats=10)
    (fan,) = make_fans(1, "late")
    admit([fan], concert)
    booking = services.booking_create(user=fan, category_id=category.pk, quantity=2)
    payment = payment_services.payment_intent_create(booking=booking)
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.booking_expire_overdue() == 1

    checkout_services.fake_payment_pay(payment_intent_id=payment.intent_id, card_number=CARD_OK)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.tickets.count() == 2
    assert_seats_balance(category)
    assert len(mailoutbox) == 1
    assert len([a for a in mailoutbox[0].attachments if a.get_content_type() == "image/png"]) == 2
    assert not queue_services.queue_slot_is_active(user_id=fan.pk, concert_id=concert.pk)


def test_paid_after_expiry_with_seats_gone_refunds_and_emails(concert, big_cap, mailoutbox):
    category = TicketCategoryFactory(concert=concert, total_seats=2)
    fan, rival = make_fans(2, "gone")
    admit([fan, rival], concert)
    booking = services.booking_create(user=fan, category_id=category.pk, quantity=2)
    payment = payment_services.payment_intent_create(booking=booking)
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    services.booking_expire_overdue()
    services.booking_create(user=rival, category_id=category.pk, quantity=2)

    checkout_services.fake_payment_pay(payment_intent_id=payment.intent_id, card_number=CARD_OK)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED
    assert booking.refunded_at is not None
    assert not booking.tickets.exists()
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUNDED
    assert TicketCategory.objects.get(pk=category.pk).available_seats == 0
    assert_seats_balance(category)
    assert [m.to for m in mailoutbox] == [[fan.email]]
    assert "refunded" in mailoutbox[0].subject


def test_two_doors_undoing_one_admission_at_once_undo_it_once(big_cap):
    """Check-in and undo of one ticket, raced by four doors each: the conditional UPDATEs
    leave it in one state, and exactly one undo reports success per admission."""
    ticket = TicketFactory()
    services.ticket_check_in(code=ticket.code)
    outcomes = outcome_codes(
        run_concurrently(lambda c: services.ticket_check_in_undo(code=c), [ticket.code] * 4)
    )
    assert outcomes == Counter({"ok": 1, "not_checked_in": 3}), outcomes
    ticket.refresh_from_db()
    assert (ticket.status, ticket.checked_in_at) == (Ticket.Status.VALID, None)


@pytest.mark.control
def test_control_undo_by_read_then_save_reports_one_undo_many_times(big_cap):
    """Without the conditional UPDATE, four staff each read "checked in" and each believe
    they undid it (four audit entries for one undo)."""
    ticket = TicketFactory(checked_in=True)
    all_have_read = threading.Barrier(4)

    def undo_by_read_then_save(code: str) -> str:
        scanned = Ticket.objects.get(code=code)
        all_have_read.wait(timeout=30)
        if scanned.status != Ticket.Status.CHECKED_IN:
            return "not_checked_in"
        scanned.status, scanned.checked_in_at = Ticket.Status.VALID, None
        scanned.save()
        return "undone"

    assert (
        returned_values(run_concurrently(undo_by_read_then_save, [ticket.code] * 4))
        == ["undone"] * 4
    )
