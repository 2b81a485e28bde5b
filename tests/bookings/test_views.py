from datetime import timedelta

import pytest
from django.contrib.admin.sites import site as admin_site
from django.urls import reverse
from django.utils import timezone

from bookings.admin import BookingAdmin
from bookings.models import Booking, Ticket
from checkout import services as checkout_services
from config.audit import audit_entries
from payments.models import Payment
from tests.bookings.conftest import assert_seats_balance
from tests.factories import TicketCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fan_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def confirmed(user, category, hold, provider_paid):
    booking = hold(user, category, 2)
    checkout_services.booking_confirm(
        booking_id=booking.pk, payment_intent_id=provider_paid(booking)
    )
    booking.refresh_from_db()
    return booking


# --- select ------------------------------------------------------------------------------


def test_select_needs_login(client, category):
    response = client.get(reverse("bookings:select", kwargs={"concert_id": category.concert_id}))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_select_without_a_slot_goes_to_the_waiting_room(fan_client, category):
    url = reverse("bookings:select", kwargs={"concert_id": category.concert_id})
    response = fan_client.get(url)
    assert response.status_code == 302
    # ?from=seats: the room shows where the fan stands and does not join them again unasked.
    assert response["Location"] == (
        reverse("queueing:room", kwargs={"concert_id": category.concert_id}) + "?from=seats"
    )
    room = fan_client.get(response["Location"])
    assert 'data-auto-join="0"' in room.content.decode()


def test_select_unknown_concert_is_404(fan_client):
    assert (
        fan_client.get(reverse("bookings:select", kwargs={"concert_id": 99999})).status_code == 404
    )


def test_select_shows_categories_and_the_slot_countdown(fan_client, user, concert, give_slot):
    TicketCategoryFactory(concert=concert, name="Stalls", total_seats=10)
    TicketCategoryFactory(concert=concert, name="Balcony", total_seats=5, available_seats=0)
    give_slot(user, concert)
    response = fan_client.get(reverse("bookings:select", kwargs={"concert_id": concert.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stalls" in html
    assert "Sold out" in html
    assert "data-countdown-until=" in html
    assert 'role="timer"' in html
    assert "bookings/countdown.js" in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_select_post_holds_and_goes_to_checkout(fan_client, user, category, give_slot):
    give_slot(user, category.concert)
    url = reverse("bookings:select", kwargs={"concert_id": category.concert_id})
    response = fan_client.post(url, {"category": category.pk, "quantity": 2})
    booking = Booking.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("checkout:checkout", kwargs={"booking_id": booking.pk})
    assert booking.quantity == 2
    assert_seats_balance(category)


def test_select_post_when_seats_are_gone_says_so(fan_client, user, concert, give_slot):
    small = TicketCategoryFactory(concert=concert, total_seats=1)
    TicketCategoryFactory(concert=concert, total_seats=10)  # so 2 is on the list at all
    give_slot(user, concert)
    url = reverse("bookings:select", kwargs={"concert_id": concert.pk})
    response = fan_client.post(url, {"category": small.pk, "quantity": 2}, follow=True)
    assert "Not enough seats" in response.content.decode()
    assert not Booking.objects.exists()


def test_select_with_a_pending_booking_links_to_checkout(fan_client, user, category, hold):
    booking = hold(user, category, 1)
    response = fan_client.get(
        reverse("bookings:select", kwargs={"concert_id": category.concert_id})
    )
    html = response.content.decode()
    assert booking.reference in html
    assert reverse("checkout:checkout", kwargs={"booking_id": booking.pk}) in html


# --- booking page, my tickets, cancel ----------------------------------------------------


def test_detail_shows_tickets_with_qr_codes(fan_client, confirmed):
    response = fan_client.get(reverse("bookings:detail", kwargs={"reference": confirmed.reference}))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 2
    for ticket in confirmed.tickets.all():
        assert ticket.code in html
        assert f'aria-label="QR code for ticket {ticket.code}"' in html


def test_detail_is_the_fans_own(client, make_user, confirmed):
    client.force_login(make_user())
    response = client.get(reverse("bookings:detail", kwargs={"reference": confirmed.reference}))
    assert response.status_code == 404


def test_pending_page_links_to_checkout_and_cancels(fan_client, user, category, hold):
    booking = hold(user, category, 2)
    url = reverse("bookings:detail", kwargs={"reference": booking.reference})
    html = fan_client.get(url).content.decode()
    assert reverse("checkout:checkout", kwargs={"booking_id": booking.pk}) in html
    assert "data-countdown-until" in html

    response = fan_client.post(
        reverse("bookings:cancel", kwargs={"reference": booking.reference}), follow=True
    )
    assert "cancelled" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    category.refresh_from_db()
    assert category.available_seats == 100


def test_mine_lists_tickets_with_qr(fan_client, confirmed, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = fan_client.get(reverse("bookings:mine"))
    html = response.content.decode()
    assert response.status_code == 200
    assert confirmed.reference in html
    assert html.count('role="img"') == 2


def test_mine_empty(fan_client):
    assert "no tickets yet" in fan_client.get(reverse("bookings:mine")).content.decode()


# --- check-in page -----------------------------------------------------------------------


def test_checkin_page_is_staff_only(fan_client):
    assert fan_client.get(reverse("bookings:checkin")).status_code == 403


def test_checkin_page_admits_once(staff_client, confirmed):
    code = confirmed.tickets.first().code
    # the concert plays in 30 days: its doors are open (the window is not the point here)
    confirmed.concert.doors_open_at = timezone.now() - timedelta(minutes=1)
    confirmed.concert.save()
    url = reverse("bookings:checkin") + f"?concert={confirmed.concert_id}"
    assert staff_client.get(url).status_code == 200
    first = staff_client.post(url, {"code": code}).content.decode()
    assert "Checked in" in first
    assert "checkin-ok" in first
    second = staff_client.post(url, {"code": code}).content.decode()
    assert "Already checked in" in second
    assert "First checked in at" in second
    unknown = staff_client.post(url, {"code": "nope"}).content.decode()
    assert "Unknown ticket" in unknown
    assert Ticket.objects.filter(status=Ticket.Status.CHECKED_IN).count() == 1


# --- admin -------------------------------------------------------------------------------


def test_admin_lists_and_searches_bookings(staff_client, confirmed):
    url = reverse("admin:bookings_booking_changelist")
    for term in [confirmed.reference, confirmed.user.email, confirmed.concert.name]:
        response = staff_client.get(url, {"q": term})
        assert response.status_code == 200
        assert confirmed.reference in response.content.decode()
    response = staff_client.get(url, {"status__exact": "confirmed"})
    assert confirmed.reference in response.content.decode()
    change = staff_client.get(reverse("admin:bookings_booking_change", args=[confirmed.pk]))
    assert change.status_code == 200
    html = change.content.decode()
    assert confirmed.tickets.first().code in html  # tickets inline
    assert 'name="total_amount"' not in html  # money is read-only


def test_admin_money_is_read_only():
    admin = BookingAdmin(Booking, admin_site)
    assert {"unit_price", "total_amount", "currency", "quantity"} <= set(admin.readonly_fields)


def test_admin_cancel_with_refund_action(
    staff_client,
    staff_user,
    confirmed,
    make_user,
    category,
    hold,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    pending = hold(make_user(), category, 1)
    url = reverse("admin:bookings_booking_changelist")
    selected = {"action": "cancel_with_refund", "_selected_action": [confirmed.pk, pending.pk]}
    # first a confirmation page that asks for a reason; nothing changes yet
    confirm = staff_client.post(url, selected)
    assert confirm.status_code == 200
    assert "are you sure?" in confirm.content.decode()
    assert 'name="reason"' in confirm.content.decode()
    without_reason = staff_client.post(url, {**selected, "post": "yes", "reason": ""})
    assert "This field is required" in without_reason.content.decode()
    confirmed.refresh_from_db()
    assert confirmed.status == Booking.Status.CONFIRMED
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url,
            {**selected, "post": "yes", "reason": "The show moved to a smaller hall"},
            follow=True,
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cancelled and refunded 1" in html
    assert "Skipped 1" in html
    confirmed.refresh_from_db()
    pending.refresh_from_db()
    assert confirmed.status == Booking.Status.CANCELLED
    assert pending.status == Booking.Status.PENDING
    assert set(confirmed.tickets.values_list("status", flat=True)) == {Ticket.Status.VOID}
    assert Payment.objects.get(booking=confirmed).status == Payment.Status.REFUNDED
    # the fan hears from the box office, with the reason, never the staff login
    [email] = [m for m in mailoutbox if confirmed.user.email in m.to]
    assert "Cancelled by the box office: The show moved to a smaller hall" in email.body
    assert staff_user.get_username() not in email.body
    # the staff member and the reason are in the booking's audit trail instead
    [entry] = audit_entries(confirmed)
    assert entry.user == staff_user
    assert "The show moved to a smaller hall" in entry.change_message
    history = staff_client.get(reverse("admin:bookings_booking_history", args=[confirmed.pk]))
    assert "The show moved to a smaller hall" in history.content.decode()
    assert_seats_balance(category)
