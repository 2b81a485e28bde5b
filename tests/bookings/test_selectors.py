"""The seat page's quantity list: what the fan may still buy, and what is left."""

import pytest
from django.urls import reverse

from bookings.selectors import booking_quantity_limits
from concerts.selectors import concert_get
from tests.factories import BookingFactory, ConcertFactory, TicketCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def concert():
    return ConcertFactory()


def test_each_category_offers_the_least_of_the_booking_cap_the_fan_allowance_and_seats_left(
    user, concert, settings, django_assert_num_queries
):
    settings.MAX_TICKETS_PER_BOOKING = 6
    settings.MAX_TICKETS_PER_FAN = 6
    roomy = TicketCategoryFactory(concert=concert, name="Roomy", total_seats=50)
    last_seat = TicketCategoryFactory(concert=concert, name="Last seat", total_seats=1)
    gone = TicketCategoryFactory(concert=concert, name="Gone", total_seats=5, available_seats=0)
    BookingFactory(user=user, category=roomy, quantity=2, confirmed=True)
    BookingFactory(user=user, category=roomy, quantity=1)  # pending counts too
    BookingFactory(user=user, category=roomy, quantity=4, expired=True)  # does not
    loaded = concert_get(concert_id=concert.pk)  # categories prefetched

    with django_assert_num_queries(1):
        limits = booking_quantity_limits(user_id=user.pk, concert=loaded)

    assert (limits.held, limits.allowance, limits.most) == (3, 3, 3)
    assert {category.pk: most for category, most in limits.per_category} == {
        roomy.pk: 3,
        last_seat.pk: 1,
        gone.pk: 0,
    }


def test_a_fan_at_the_limit_is_offered_nothing(user, concert, settings):
    settings.MAX_TICKETS_PER_FAN = 2
    category = TicketCategoryFactory(concert=concert, total_seats=50)
    BookingFactory(user=user, category=category, quantity=2, confirmed=True)
    limits = booking_quantity_limits(user_id=user.pk, concert=concert)
    assert (limits.allowance, limits.most) == (0, 0)


def test_the_seat_page_lists_only_the_quantities_the_fan_may_take(
    client, user, concert, give_slot, settings
):
    settings.MAX_TICKETS_PER_BOOKING = 6
    settings.MAX_TICKETS_PER_FAN = 6
    settings.BOOKING_HOLD_SECONDS = 60
    few = TicketCategoryFactory(concert=concert, name="Few", total_seats=2)
    many = TicketCategoryFactory(concert=concert, name="Many", total_seats=40)
    BookingFactory(user=user, category=many, quantity=2, confirmed=True)
    give_slot(user, concert)
    client.force_login(user)
    url = reverse("bookings:select", kwargs={"concert_id": concert.pk})

    html = client.get(url).content.decode()

    assert '<option value="4"' in html
    assert '<option value="5"' not in html  # 6 per fan, 2 already held
    assert f'value="{few.pk}" data-max-quantity="2"' in html
    assert f'value="{many.pk}" data-max-quantity="4"' in html
    assert "Seats are held for 1 minute while you pay." in html  # not "1 minutes"
    assert "bookings/select.js" in html

    refused = client.post(url, {"category": few.pk, "quantity": 3})
    assert refused.status_code == 200
    assert "at most 2 tickets there now" in refused.content.decode()
