"""checkout.services: a payment's outcome meets seats (confirm, late payment, refunds)."""

import pytest

from bookings import errors
from bookings import services as booking_services
from bookings.models import Booking, Ticket
from checkout import services as checkout
from payments import services as payment_services
from payments.errors import PaymentNotCompleted
from payments.models import Payment
from queueing import services as queue_services
from tests.bookings.conftest import CARD_DECLINED, CARD_OK, assert_seats_balance
from tests.factories import TicketCategoryFactory

pytestmark = pytest.mark.django_db


def confirm(*, booking_id: int, payment_intent_id: str) -> Booking:
    """What the API edge does with an outcome: the booking, or the refusal raised."""
    outcome = checkout.booking_confirm(booking_id=booking_id, payment_intent_id=payment_intent_id)
    refusal = outcome.refusal()
    if refusal is not None:
        raise refusal
    return outcome.booking


# --- confirm -----------------------------------------------------------------------------


def test_confirm_issues_tickets_releases_slot_and_emails_qr_codes(
    user, category, hold, provider_paid, mailoutbox, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 2)
    intent_id = provider_paid(booking)

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = confirm(booking_id=booking.pk, payment_intent_id=intent_id)

    assert confirmed.status == Booking.Status.CONFIRMED
    assert confirmed.confirmed_at is not None
    tickets = list(confirmed.tickets.all())
    assert len(tickets) == 2
    assert len({t.code for t in tickets}) == 2
    assert all(
        len(t.code.replace("-", "")) >= 16 and t.status == Ticket.Status.VALID for t in tickets
    )
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
        confirm(booking_id=booking.pk, payment_intent_id=intent_id)
    with django_capture_on_commit_callbacks(execute=True):
        again = confirm(booking_id=booking.pk, payment_intent_id=intent_id)
    assert again.status == Booking.Status.CONFIRMED
    assert Ticket.objects.filter(booking=booking).count() == 2
    assert len(mailoutbox) == 1
    assert_seats_balance(category)


def test_confirm_without_a_payment_is_refused(user, category, hold):
    booking = hold(user, category, 2)
    payment = payment_services.payment_intent_create(booking=booking)
    with pytest.raises(PaymentNotCompleted):
        confirm(booking_id=booking.pk, payment_intent_id=payment.intent_id)
    with pytest.raises(PaymentNotCompleted):
        confirm(booking_id=booking.pk, payment_intent_id="pi_made_up")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING
    assert not booking.tickets.exists()


def test_confirm_with_another_bookings_payment_is_refused(make_user, category, hold, provider_paid):
    mine = hold(make_user(), category, 2)
    theirs = hold(make_user(), category, 2)
    their_intent = provider_paid(theirs)
    with pytest.raises(PaymentNotCompleted):
        confirm(booking_id=mine.pk, payment_intent_id=their_intent)


def test_confirm_unknown_booking(db):
    with pytest.raises(errors.BookingNotFound):
        confirm(booking_id=424242, payment_intent_id="pi_x")


def test_declined_card_leaves_the_booking_pending(user, category, hold):
    booking = hold(user, category, 1)
    payment = payment_services.payment_intent_create(booking=booking)
    with pytest.raises(Exception, match="declined"):
        checkout.fake_payment_pay(payment_intent_id=payment.intent_id, card_number=CARD_DECLINED)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING


def test_fake_payment_confirms_through_the_succeeded_handler(
    user, category, hold, mailoutbox, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 2)
    payment = payment_services.payment_intent_create(booking=booking)
    with django_capture_on_commit_callbacks(execute=True):
        checkout.fake_payment_pay(payment_intent_id=payment.intent_id, card_number=CARD_OK)
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
    booking_services.booking_expire_overdue()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED
    category.refresh_from_db()
    assert category.available_seats == 100

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = confirm(booking_id=booking.pk, payment_intent_id=intent_id)

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
    booking_services.booking_expire_overdue()
    hold(make_user(), small, 2)  # someone else takes the released seats

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(errors.BookingExpired) as caught,
    ):
        confirm(booking_id=booking.pk, payment_intent_id=intent_id)

    assert caught.value.extra == {"refunded": True}
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED
    assert booking.refunded_at is not None
    assert booking.refund_reason == checkout.REFUND_SEATS_GONE
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
        confirm(booking_id=booking.pk, payment_intent_id=intent_id)
    assert len(mailoutbox) == 1


def test_late_payment_through_the_handler_is_refunded(
    user, make_user, concert, hold, overdue, mailoutbox, django_capture_on_commit_callbacks
):
    small = TicketCategoryFactory(concert=concert, total_seats=2)
    booking = hold(user, small, 2)
    payment = payment_services.payment_intent_create(booking=booking)
    overdue(booking)
    booking_services.booking_expire_overdue()
    hold(make_user(), small, 2)

    with django_capture_on_commit_callbacks(execute=True):
        checkout.fake_payment_pay(payment_intent_id=payment.intent_id, card_number=CARD_OK)

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
    booking_services.booking_expire_overdue()
    hold(user, category, 4)  # the fan booked again meanwhile
    with pytest.raises(errors.BookingExpired):
        confirm(booking_id=late.pk, payment_intent_id=intent_id)
    late.refresh_from_db()
    assert late.refund_reason == checkout.REFUND_OVER_FAN_LIMIT
    assert_seats_balance(category)


def test_expired_and_unpaid_confirm_says_expired(user, category, hold, overdue):
    booking = hold(user, category, 1)
    payment = payment_services.payment_intent_create(booking=booking)  # never paid
    overdue(booking)
    booking_services.booking_expire_overdue()
    with pytest.raises(errors.BookingExpired):
        confirm(booking_id=booking.pk, payment_intent_id=payment.intent_id)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.EXPIRED
    assert booking.refunded_at is None


def test_a_cancelled_booking_that_gets_paid_is_refunded(
    user, category, hold, provider_paid, mailoutbox, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 2)
    intent_id = provider_paid(booking)
    booking_services.booking_cancel(user=user)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(errors.BookingCancelled):
        confirm(booking_id=booking.pk, payment_intent_id=intent_id)

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
        confirm(booking_id=booking.pk, payment_intent_id=provider_paid(booking))
    with django_capture_on_commit_callbacks(execute=True):
        checkout.booking_cancel_confirmed(booking_id=booking.pk, reason="Show moved")

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.refund_reason == "Show moved"
    assert set(booking.tickets.values_list("status", flat=True)) == {Ticket.Status.VOID}
    assert Payment.objects.get(booking=booking).status == Payment.Status.REFUNDED
    category.refresh_from_db()
    assert category.available_seats == 100
    assert len(mailoutbox) == 2  # confirmation, then the refund
    with pytest.raises(errors.BookingNotConfirmed):
        checkout.booking_cancel_confirmed(booking_id=booking.pk)
    category.refresh_from_db()
    assert category.available_seats == 100


def test_cancel_confirmed_refuses_a_pending_booking(user, category, hold):
    booking = hold(user, category, 1)
    with pytest.raises(errors.BookingNotConfirmed):
        checkout.booking_cancel_confirmed(booking_id=booking.pk)
