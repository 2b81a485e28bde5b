from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from concerts.errors import CategoryShrinkRefused
from concerts.models import Concert, TicketCategory
from concerts.services import (
    CategorySpec,
    category_check_total_seats,
    category_update,
    concert_create,
    concert_unique_slug,
    concerts_publish,
    concerts_unpublish,
)
from tests.factories import BookingFactory

pytestmark = pytest.mark.django_db


def _update(category, total, expected=None):
    category_update(
        category_id=category.pk,
        expected_total_seats=category.total_seats if expected is None else expected,
        name=category.name,
        price=category.price,
        currency=category.currency,
        display_order=category.display_order,
        total_seats=total,
    )
    category.refresh_from_db()


def test_growing_a_category_adds_the_new_seats_to_available(make_concert):
    category = make_concert(categories=[("A", "10", 100)]).categories.get()
    BookingFactory(category=category, quantity=30, confirmed=True)
    _update(category, 150)
    assert (category.total_seats, category.available_seats) == (150, 120)


def test_shrinking_keeps_sold_and_held_seats(make_concert):
    category = make_concert(categories=[("A", "10", 100)]).categories.get()
    BookingFactory(category=category, quantity=30, confirmed=True)
    BookingFactory(category=category, quantity=10)
    _update(category, 40)
    assert (category.total_seats, category.available_seats) == (40, 0)


def test_shrinking_below_sold_and_held_is_refused(make_concert):
    category = make_concert(categories=[("A", "10", 100)]).categories.get()
    BookingFactory(category=category, quantity=30, confirmed=True)
    BookingFactory(category=category, quantity=10)
    with pytest.raises(CategoryShrinkRefused):
        category_check_total_seats(category_id=category.pk, total_seats=39)
    with pytest.raises(CategoryShrinkRefused):
        _update(category, 39)
    assert (category.total_seats, category.available_seats) == (100, 60)


def test_update_from_a_stale_form_never_overwrites_seats_sold_meanwhile(make_concert):
    category = make_concert(categories=[("A", "10", 100)]).categories.get()
    seen_total = category.total_seats
    BookingFactory(
        category=category, quantity=95, confirmed=True
    )  # sold while the staff member edits
    with pytest.raises(CategoryShrinkRefused):
        _update(category, 10, expected=seen_total)
    category.refresh_from_db()
    assert (category.total_seats, category.available_seats) == (100, 5)
    with pytest.raises(CategoryShrinkRefused):  # someone else changed the total
        _update(category, 120, expected=90)


def test_concert_create_builds_categories_with_all_seats_available():
    now = timezone.now()
    concert = concert_create(
        name="Night Shift",
        venue="Hall",
        starts_at=now + timedelta(days=3),
        sale_starts_at=now,
        categories=[
            CategorySpec("Floor", Decimal("10.00"), 5),
            CategorySpec("Seats", Decimal("20.00"), 7, currency="EUR"),
        ],
    )
    rows = list(
        concert.categories.values_list("name", "total_seats", "available_seats", "currency")
    )
    assert rows == [("Floor", 5, 5, "usd"), ("Seats", 7, 7, "eur")]
    assert concert.published
    assert concert.slug == "night-shift"


def test_concert_create_writes_nothing_when_a_category_is_invalid():
    now = timezone.now()
    with pytest.raises(ValidationError):
        concert_create(
            name="Bad",
            venue="Hall",
            starts_at=now + timedelta(days=3),
            sale_starts_at=now,
            categories=[CategorySpec("Floor", Decimal("-1"), 5)],
        )
    assert not Concert.objects.exists()


def test_unique_slugs(make_concert):
    make_concert(name="Same Name", slug="same-name")
    make_concert(name="Same Name 2", slug="same-name-2")
    assert concert_unique_slug("Same Name") == "same-name-3"
    assert concert_unique_slug("Totally New") == "totally-new"
    assert concert_unique_slug("!!!") == "concert"


def test_publish_refuses_concerts_without_categories(make_concert):
    ready = make_concert(published=False)
    empty = make_concert(categories=[], published=False, name="Empty")
    count, refused = concerts_publish(concerts=Concert.objects.all())
    assert count == 1
    assert len(refused) == 1
    assert "Empty" in refused[0]
    ready.refresh_from_db()
    empty.refresh_from_db()
    assert ready.published
    assert not empty.published
    assert concerts_unpublish(concerts=Concert.objects.all()) == 1
    assert not Concert.objects.filter(published=True).exists()


def test_category_changes_leave_other_categories_alone(make_concert):
    concert = make_concert(categories=[("A", "10", 10), ("B", "10", 10)])
    a = concert.categories.get(name="A")
    _update(a, 20)
    assert TicketCategory.objects.get(name="B").total_seats == 10
