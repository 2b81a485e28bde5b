from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bookings import errors, presenters, services
from bookings.models import Booking, Ticket
from concerts.errors import CategoryNotFound
from concerts.models import TicketCategory
from payments import services as payment_services
from payments.errors import PaymentNotCompleted
from payments.models import Payment
from queueing import services as queue_services
from tests.bookings.conftest import CARD_DECLINED, CARD_OK, assert_seats_balance
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
    services.booking_confirm(booking_id=first.pk, payment_intent_id=provider_paid(first))
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
    services.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)
    assert services.booking_expire(booking_id=booking.pk) is False
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert_seats_balance(category)


# --- confirm -----------------------------------------------------------------------------


def test_confirm_issues_tickets_releases_slot_and_emails_qr_codes(
    user, category, hold, provider_paid, mailoutbox, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 2)
    intent_id = provider_paid(booking)

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = services.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)

    assert confirmed.status == Booking.Status.CONFIRMED
    assert confirmed.confirmed_at is not None
    tickets = list(confirmed.tickets.all())
    assert len(tickets) == 2
    assert len({t.code for t in tickets}) == 2
    assert all(len(t.code) >= 20 and t.status == Ticket.Status.VALID for t in tickets)
    assert not queue_services.queue_slot_is_active(user_id=user.pk, concert_id=category.concert_id)
    assert Payment.objects.get(booking=booking).status == Payment.Status.SUCCEEDED

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [user.email]
    assert booking.reference in message.subject
    html = message.alternatives[0][0]
    images = [part for part in message.attachments if part.get_content_type() == "image/png"]
    assert len(images) == 2
    for ticket in tickets:
        assert ticket.code in message.body
        assert f"cid:ticket-{ticket.pk}" in html
    content_ids = {image["Content-ID"] for image in images}
    assert content_ids == {f"<ticket-{t.pk}>" for t in tickets}
    assert images[0].get_payload(decode=True).startswith(b"\x89PNG")


def test_confirm_again_is_harmless(
    user, category, hold, provider_paid, mailoutbox, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 2)
    intent_id = provider_paid(booking)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)
    assert again.status == Booking.Status.CONFIRMED
    assert Ticket.objects.filter(booking=booking).count() == 2
    assert len(mailoutbox) == 1
    assert_seats_balance(category)


def test_confirm_without_a_payment_is_refused(user, category, hold):
    booking = hold(user, category, 2)
    payment = payment_services.payment_intent_create(booking=booking)
    with pytest.raises(PaymentNotCompleted):
        services.booking_confirm(booking_id=booking.pk, payment_intent_id=payment.intent_id)
    with pytest.raises(PaymentNotCompleted):
        services.booking_confirm(booking_id=booking.pk, payment_intent_id="pi_made_up")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING
    assert not booking.tickets.exists()


def test_confirm_with_another_bookings_payment_is_refused(make_user, category, hold, provider_paid):
    mine = hold(make_user(), category, 2)
    theirs = hold(make_user(), category, 2)
    their_intent = provider_paid(theirs)
    with pytest.raises(PaymentNotCompleted):
        services.booking_confirm(booking_id=mine.pk, payment_intent_id=their_intent)


def test_confirm_unknown_booking(db):
    with pytest.raises(errors.BookingNotFound):
        services.booking_confirm(booking_id=424242, payment_intent_id="pi_x")


def test_declined_card_leaves_the_booking_pending(user, category, hold):
    booking = hold(user, category, 1)
    payment = payment_services.payment_intent_create(booking=booking)
    with pytest.raises(Exception, match="declined"):
        payment_services.fake_payment_pay(
            payment_intent_id=payment.intent_id, card_number=CARD_DECLINED
        )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING


def test_fake_payment_confirms_through_the_succeeded_handler(
    user, category, hold, mailoutbox, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 2)
    payment = payment_services.payment_intent_create(booking=booking)
    with django_capture_on_commit_callbacks(execute=True):
        payment_services.fake_payment_pay(payment_intent_id=payment.intent_id, card_number=CARD_OK)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.tickets.count() == 2
    assert len(mailoutbox) == 1


# --- paid after expiry -------------------------------------------------------------------


def test_paid_after_expiry_with_seats_free_is_confirmed(
    user, category, hold, overdue, provider_paid, mailoutbox, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 2)
    intent_id = provider_paid(booking)
    overdue(booking)
    services.booking_expire_overdue()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED
    category.refresh_from_db()
    assert category.available_seats == 100

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = services.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)

    assert confirmed.status == Booking.Status.CONFIRMED
    assert confirmed.tickets.count() == 2
    assert confirmed.refunded_at is None
    category.refresh_from_db()
    assert category.available_seats == 98
    assert_seats_balance(category)
    assert len(mailoutbox) == 1


def test_paid_after_expiry_with_seats_gone_is_refunded_and_emailed(
    user,
    make_user,
    concert,
    hold,
    overdue,
    provider_paid,
    give_slot,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    small = TicketCategoryFactory(concert=concert, total_seats=2)
    booking = hold(user, small, 2)
    intent_id = provider_paid(booking)
    overdue(booking)
    services.booking_expire_overdue()
    hold(make_user(), small, 2)  # someone else takes the released seats

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(errors.BookingExpired) as caught,
    ):
        services.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)

    assert caught.value.extra == {"refunded": True}
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED
    assert booking.refunded_at is not None
    assert booking.refund_reason == services.REFUND_SEATS_GONE
    assert not booking.tickets.exists()
    assert Payment.objects.get(booking=booking).status == Payment.Status.REFUNDED
    small.refresh_from_db()
    assert small.available_seats == 0
    assert_seats_balance(small)
    assert len(mailoutbox) == 1
    assert "refunded" in mailoutbox[0].subject
    assert booking.reference in mailoutbox[0].body

    # The provider retrying the event, or the fan retrying confirm: nothing more happens.
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(errors.BookingExpired):
        services.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)
    assert len(mailoutbox) == 1


def test_late_payment_through_the_handler_is_refunded(
    user, make_user, concert, hold, overdue, mailoutbox, django_capture_on_commit_callbacks
):
    small = TicketCategoryFactory(concert=concert, total_seats=2)
    booking = hold(user, small, 2)
    payment = payment_services.payment_intent_create(booking=booking)
    overdue(booking)
    services.booking_expire_overdue()
    hold(make_user(), small, 2)

    with django_capture_on_commit_callbacks(execute=True):
        payment_services.fake_payment_pay(payment_intent_id=payment.intent_id, card_number=CARD_OK)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED
    assert booking.refunded_at is not None
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert [m.subject for m in mailoutbox] == [f"Your payment for {booking.reference} was refunded"]


def test_late_payment_over_the_fan_limit_is_refunded(
    user, category, hold, overdue, provider_paid, settings
):
    settings.MAX_TICKETS_PER_FAN = 6
    late = hold(user, category, 4)
    intent_id = provider_paid(late)
    overdue(late)
    services.booking_expire_overdue()
    hold(user, category, 4)  # the fan booked again meanwhile
    with pytest.raises(errors.BookingExpired):
        services.booking_confirm(booking_id=late.pk, payment_intent_id=intent_id)
    late.refresh_from_db()
    assert late.refund_reason == services.REFUND_OVER_FAN_LIMIT
    assert_seats_balance(category)


def test_expired_and_unpaid_confirm_says_expired(user, category, hold, overdue):
    booking = hold(user, category, 1)
    payment = payment_services.payment_intent_create(booking=booking)  # never paid
    overdue(booking)
    services.booking_expire_overdue()
    with pytest.raises(errors.BookingExpired):
        services.booking_confirm(booking_id=booking.pk, payment_intent_id=payment.intent_id)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED
    assert booking.refunded_at is None


def test_a_cancelled_booking_that_gets_paid_is_refunded(
    user, category, hold, provider_paid, mailoutbox, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 2)
    intent_id = provider_paid(booking)
    services.booking_cancel(user=user)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(errors.BookingCancelled):
        services.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.refunded_at is not None
    assert Payment.objects.get(booking=booking).status == Payment.Status.REFUNDED
    assert not booking.tickets.exists()
    assert_seats_balance(category)
    assert len(mailoutbox) == 1


# --- cancel a confirmed booking (admin) --------------------------------------------------


def test_cancel_confirmed_refunds_voids_tickets_and_releases_seats(
    user, category, hold, provider_paid, mailoutbox, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 3)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_confirm(booking_id=booking.pk, payment_intent_id=provider_paid(booking))
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel_confirmed(booking_id=booking.pk, reason="Show moved")

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.refund_reason == "Show moved"
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.VOID}
    assert Payment.objects.get(booking=booking).status == Payment.Status.REFUNDED
    category.refresh_from_db()
    assert category.available_seats == 100
    assert len(mailoutbox) == 2  # confirmation, then the refund
    with pytest.raises(errors.BookingNotConfirmed):
        services.booking_cancel_confirmed(booking_id=booking.pk)
    category.refresh_from_db()
    assert category.available_seats == 100


def test_cancel_confirmed_refuses_a_pending_booking(user, category, hold):
    booking = hold(user, category, 1)
    with pytest.raises(errors.BookingNotConfirmed):
        services.booking_cancel_confirmed(booking_id=booking.pk)


# --- check-in ----------------------------------------------------------------------------


@pytest.fixture
def ticket(user, category, hold, provider_paid):
    booking = hold(user, category, 1)
    services.booking_confirm(booking_id=booking.pk, payment_intent_id=provider_paid(booking))
    return booking.tickets.get()


def test_check_in_admits_once(ticket):
    admitted = services.ticket_check_in(code=f"  {ticket.code} ")
    assert admitted.status == Ticket.Status.CHECKED_IN
    assert admitted.checked_in_at is not None
    with pytest.raises(errors.TicketAlreadyCheckedIn) as caught:
        services.ticket_check_in(code=ticket.code)
    assert caught.value.extra["checked_in_at"] == presenters.iso_datetime(admitted.checked_in_at)


def test_check_in_refuses_a_void_ticket(ticket):
    services.booking_cancel_confirmed(booking_id=ticket.booking_id)
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
        services.booking_confirm(booking_id=booking.pk, payment_intent_id=provider_paid(booking))
    message = mailoutbox[0]
    assert "Simon & Garfunkel <live>" in message.subject
    assert "Simon & Garfunkel <live>" in message.body
    assert "Simon &amp; Garfunkel &lt;live&gt;" in message.alternatives[0][0]


def test_email_tasks_retry_a_bounded_number_of_times():
    from bookings.tasks import send_booking_confirmation_email, send_booking_refund_email

    for task in (send_booking_confirmation_email, send_booking_refund_email):
        assert task.max_retries == 5
        assert OSError in task.autoretry_for
