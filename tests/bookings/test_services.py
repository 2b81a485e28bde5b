from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import errors, presenters, services
from bookings.models import Booking, Ticket
from checkout import services as checkout_services
from concerts.errors import CategoryNotFound
from concerts.models import TicketCategory
from tests.bookings.conftest import assert_seats_balance
from tests.factories import TicketCategoryFactory

pytestmark = pytest.mark.django_db


# --- create ------------------------------------------------------------------------------


def test_create_holds_seats_and_snapshots_money(user, category, give_slot, settings):
    settings.BOOKING_HOLD_SECONDS = 600
    give_slot(user, category.concert)
    before = timezone.now()

    booking = services.booking_create(user=user, category_id=category.pk, quantity=3)

    assert booking.status == Booking.Status.PENDING
    assert booking.unit_price == Decimal("49.00")
    assert booking.total_amount == Decimal("147.00")
    assert booking.currency == "usd"
    assert booking.reference.startswith("BO-")
    assert (
        before + timedelta(seconds=599)
        < booking.expires_at
        <= timezone.now() + timedelta(seconds=600)
    )
    category.refresh_from_db()
    assert category.available_seats == 97
    # A later price change does not touch the hold.
    TicketCategory.objects.filter(pk=category.pk).update(price=Decimal("99.00"))
    booking.refresh_from_db()
    assert booking.total_amount == Decimal("147.00")


def test_create_needs_an_active_queue_slot(user, category):
    with pytest.raises(errors.QueueSlotRequired):
        services.booking_create(user=user, category_id=category.pk, quantity=1)
    category.refresh_from_db()
    assert category.available_seats == 100
    assert not Booking.objects.exists()


def test_a_slot_for_another_concert_does_not_count(user, category, give_slot):
    other = TicketCategoryFactory()
    give_slot(user, other.concert)
    with pytest.raises(errors.QueueSlotRequired):
        services.booking_create(user=user, category_id=category.pk, quantity=1)


@pytest.mark.parametrize("quantity", [0, -1, 7, 1000])
def test_create_refuses_a_quantity_outside_the_limit(user, category, give_slot, quantity):
    give_slot(user, category.concert)
    with pytest.raises(errors.InvalidQuantity):
        services.booking_create(user=user, category_id=category.pk, quantity=quantity)


def test_create_refuses_unknown_or_unpublished_category(user, category, give_slot):
    give_slot(user, category.concert)
    with pytest.raises(CategoryNotFound):
        services.booking_create(user=user, category_id=999999, quantity=1)
    category.concert.published = False
    category.concert.save()
    with pytest.raises(CategoryNotFound):
        services.booking_create(user=user, category_id=category.pk, quantity=1)


def test_create_refuses_a_second_pending_booking(user, category, hold):
    hold(user, category, 1)
    with pytest.raises(errors.PendingBookingExists):
        hold(user, category, 1)
    category.refresh_from_db()
    assert category.available_seats == 99


def test_create_refuses_when_seats_are_gone_and_leaves_nothing(user, concert, give_slot):
    small = TicketCategoryFactory(concert=concert, total_seats=2)
    give_slot(user, concert)
    with pytest.raises(errors.InsufficientSeats):
        services.booking_create(user=user, category_id=small.pk, quantity=3)
    small.refresh_from_db()
    assert small.available_seats == 2
    assert not Booking.objects.exists()  # the insert rolled back with the seat update


def test_fan_limit_counts_pending_and_confirmed_tickets(
    user, category, hold, give_slot, provider_paid, settings
):
    settings.MAX_TICKETS_PER_FAN = 6
    first = hold(user, category, 4)
    checkout_services.booking_confirm(booking_id=first.pk, payment_intent_id=provider_paid(first))
    give_slot(user, category.concert)  # the confirmation ended the fan's turn
    with pytest.raises(errors.TicketLimitReached) as caught:
        services.booking_create(user=user, category_id=category.pk, quantity=3)
    assert caught.value.extra == {"limit": 6, "held": 4}
    booking = services.booking_create(user=user, category_id=category.pk, quantity=2)
    assert booking.quantity == 2


def test_an_overdue_hold_does_not_block_a_new_one(user, category, hold, overdue):
    old = overdue(hold(user, category, 2))
    new = hold(user, category, 1)
    old.refresh_from_db()
    assert old.status == Booking.Status.EXPIRED
    assert new.status == Booking.Status.PENDING
    assert_seats_balance(category)


# --- cancel and expire -------------------------------------------------------------------


def test_cancel_releases_the_seats_once(user, category, hold):
    booking = hold(user, category, 3)
    services.booking_cancel(user=user)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancelled_at is not None
    category.refresh_from_db()
    assert category.available_seats == 100
    with pytest.raises(errors.BookingNotFound):
        services.booking_cancel(user=user)
    category.refresh_from_db()
    assert category.available_seats == 100


def test_sweep_expires_only_overdue_holds(make_user, category, hold, overdue):
    due = overdue(hold(make_user(), category, 2))
    fresh = hold(make_user(), category, 1)

    assert services.booking_expire_overdue() == 1

    due.refresh_from_db()
    fresh.refresh_from_db()
    assert due.status == Booking.Status.EXPIRED
    assert due.expired_at is not None
    assert fresh.status == Booking.Status.PENDING
    category.refresh_from_db()
    assert category.available_seats == 99
    assert services.booking_expire_overdue() == 0  # a second sweep releases nothing
    category.refresh_from_db()
    assert category.available_seats == 99


def test_sweep_works_in_batches(make_user, category, hold, overdue):
    bookings = [overdue(hold(make_user(), category, 1)) for _ in range(7)]
    assert services.booking_expire_overdue(batch_size=3) == 7
    assert all(
        b.status == Booking.Status.EXPIRED
        for b in Booking.objects.filter(pk__in=[x.pk for x in bookings])
    )
    assert_seats_balance(category)


def test_expiry_task_has_the_scheduled_name(make_user, category, hold, overdue):
    from bookings.tasks import expire_overdue_bookings

    assert expire_overdue_bookings.name == "bookings.tasks.expire_overdue_bookings"
    overdue(hold(make_user(), category, 2))
    assert expire_overdue_bookings.delay().get() == 1
    category.refresh_from_db()
    assert category.available_seats == 100


def test_expire_does_not_touch_a_confirmed_booking(user, category, hold, provider_paid, overdue):
    booking = hold(user, category, 2)
    intent_id = provider_paid(booking)
    overdue(booking)
    checkout_services.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)
    assert services.booking_expire(booking_id=booking.pk) is False
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert_seats_balance(category)


# --- check-in ----------------------------------------------------------------------------


@pytest.fixture
def ticket(user, category, hold, provider_paid):
    booking = hold(user, category, 1)
    checkout_services.booking_confirm(
        booking_id=booking.pk, payment_intent_id=provider_paid(booking)
    )
    return booking.tickets.get()


def test_check_in_admits_once(ticket):
    admitted = services.ticket_check_in(code=f"  {ticket.code} ")
    assert admitted.status == Ticket.Status.CHECKED_IN
    assert admitted.checked_in_at is not None
    with pytest.raises(errors.TicketAlreadyCheckedIn) as caught:
        services.ticket_check_in(code=ticket.code)
    assert caught.value.extra["checked_in_at"] == presenters.iso_datetime(admitted.checked_in_at)


def test_check_in_refuses_a_void_ticket(ticket):
    checkout_services.booking_cancel_confirmed(booking_id=ticket.booking_id)
    with pytest.raises(errors.TicketVoid):
        services.ticket_check_in(code=ticket.code)


def test_check_in_unknown_code(db):
    with pytest.raises(errors.UnknownTicket):
        services.ticket_check_in(code="nope")


def test_emails_are_plain_text_not_html_escaped(
    user, concert, hold, provider_paid, mailoutbox, django_capture_on_commit_callbacks
):
    concert.name = "Simon & Garfunkel <live>"
    concert.save()
    category = TicketCategoryFactory(concert=concert)
    booking = hold(user, category, 1)
    with django_capture_on_commit_callbacks(execute=True):
        checkout_services.booking_confirm(
            booking_id=booking.pk, payment_intent_id=provider_paid(booking)
        )
    message = mailoutbox[0]
    assert "Simon & Garfunkel <live>" in message.subject
    assert "Simon & Garfunkel <live>" in message.body
    assert "Simon &amp; Garfunkel &lt;live&gt;" in message.alternatives[0][0]


def test_email_tasks_retry_a_bounded_number_of_times():
    from bookings.tasks import send_booking_confirmation_email, send_booking_refund_email

    for task in (send_booking_confirmation_email, send_booking_refund_email):
        assert task.max_retries == 5
        assert OSError in task.autoretry_for
