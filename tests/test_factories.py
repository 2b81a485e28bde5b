import pytest

from bookings.models import Booking, Ticket
from payments.models import Payment
from tests.bookings.conftest import assert_seats_balance
from tests.factories import (
    BookingFactory,
    PaymentFactory,
    TicketCategoryFactory,
    TicketFactory,
    UserFactory,
)


@pytest.mark.django_db
def test_factories_build_valid_rows():
    category = TicketCategoryFactory(total_seats=10)
    user = UserFactory()
    assert category.available_seats == 10
    assert category.concert.published
    assert user.check_password("correct-horse-battery-9")


@pytest.mark.django_db
def test_a_held_or_sold_booking_takes_its_seats_and_an_expired_one_does_not():
    category = TicketCategoryFactory(total_seats=10)
    pending = BookingFactory(category=category, quantity=3)
    BookingFactory(category=category, quantity=2, confirmed=True)
    BookingFactory(category=category, quantity=4, expired=True)
    BookingFactory(category=category, quantity=4, cancelled=True)

    assert pending.status == Booking.Status.PENDING
    assert pending.concert == category.concert
    assert pending.total_amount == category.price * 3
    assert category.available_seats == 5
    assert_seats_balance(category)


@pytest.mark.django_db
def test_a_booking_factory_refuses_seats_that_are_not_there():
    category = TicketCategoryFactory(total_seats=1)
    with pytest.raises(ValueError, match="not 2 seats left"):
        BookingFactory(category=category, quantity=2)


@pytest.mark.django_db
def test_ticket_and_payment_factories_hang_off_a_booking():
    ticket = TicketFactory(checked_in=True)
    payment = PaymentFactory(succeeded=True, booking=ticket.booking)

    assert ticket.booking.status == Booking.Status.CONFIRMED
    assert ticket.status == Ticket.Status.CHECKED_IN
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.amount == ticket.booking.total_amount
    ticket.booking.user.refresh_from_db()
    assert not ticket.booking.user.has_usable_password()  # no hashing per fan
