from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from concerts.models import (
    AVAILABLE_OUT_OF_RANGE_MESSAGE,
    NEGATIVE_PRICE_MESSAGE,
    SALE_AFTER_START_MESSAGE,
    Concert,
    TicketCategory,
)
from tests.factories import ConcertFactory, TicketCategoryFactory

pytestmark = pytest.mark.django_db


def _integrity_error(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_database_refuses_a_sale_starting_after_the_concert():
    now = timezone.now()
    _integrity_error(lambda: ConcertFactory(starts_at=now, sale_starts_at=now + timedelta(hours=1)))
    _integrity_error(lambda: ConcertFactory(starts_at=now, sale_starts_at=now))


def test_database_refuses_available_seats_above_the_total():
    _integrity_error(lambda: TicketCategoryFactory(total_seats=10, available_seats=11))


def test_database_refuses_negative_available_seats():
    category = TicketCategoryFactory(total_seats=10)
    _integrity_error(
        lambda: TicketCategory.objects.filter(pk=category.pk).update(available_seats=-1)
    )


def test_database_refuses_a_negative_price():
    _integrity_error(lambda: TicketCategoryFactory(price=Decimal("-0.01")))


def test_database_refuses_two_categories_with_one_name_in_a_concert():
    category = TicketCategoryFactory(name="Floor")
    _integrity_error(lambda: TicketCategoryFactory(concert=category.concert, name="Floor"))
    TicketCategoryFactory(name="Floor")  # another concert may use the name


def test_full_clean_explains_a_sale_after_the_concert_on_the_field():
    now = timezone.now()
    concert = Concert(
        name="X", slug="x", venue="Hall", starts_at=now, sale_starts_at=now + timedelta(days=1)
    )
    with pytest.raises(ValidationError) as excinfo:
        concert.full_clean()
    assert excinfo.value.message_dict == {"sale_starts_at": [SALE_AFTER_START_MESSAGE]}


def test_full_clean_explains_category_errors():
    concert = ConcertFactory()
    category = TicketCategory(
        concert=concert, name="A", price=Decimal("-1"), total_seats=5, available_seats=6
    )
    with pytest.raises(ValidationError) as excinfo:
        category.full_clean()
    errors = excinfo.value.message_dict
    assert errors["price"] == [NEGATIVE_PRICE_MESSAGE]
    assert AVAILABLE_OUT_OF_RANGE_MESSAGE in errors["__all__"]


def test_currency_is_stored_in_lower_case():
    category = TicketCategoryFactory(currency="EUR")
    category.refresh_from_db()
    assert category.currency == "eur"


def test_concert_seat_totals_are_the_sums_of_its_categories():
    concert = ConcertFactory()
    TicketCategoryFactory(concert=concert, total_seats=100, available_seats=40)
    TicketCategoryFactory(concert=concert, total_seats=50, available_seats=50)
    annotated = Concert.objects.with_seat_totals().get(pk=concert.pk)
    assert (annotated.seats_total, annotated.seats_available) == (150, 90)
