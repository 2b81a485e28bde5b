"""Resizing a category in the admin while fans buy seats never loses or invents a seat."""

import contextlib

import pytest
from django.db.models import F

from concerts.models import TicketCategory
from concerts.services import CategoryShrinkRefused, category_update
from tests.concurrency import returned_values, run_concurrently

SELLERS = 6
SALES_PER_SELLER = 60
RESIZES = 80


def _sell_one(category_id: int) -> bool:
    # What bookings.services does: one conditional decrement.
    return bool(
        TicketCategory.objects.filter(pk=category_id, available_seats__gte=1).update(
            available_seats=F("available_seats") - 1
        )
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_resizing_while_selling_keeps_sold_plus_available_equal_to_total(make_concert):
    category = make_concert(categories=[("Floor", "50.00", 300)]).categories.get()

    def seller() -> int:
        return sum(_sell_one(category.pk) for _ in range(SALES_PER_SELLER))

    def resizer() -> None:
        for step in range(RESIZES):
            current = TicketCategory.objects.get(pk=category.pk)
            change = 3 if step % 2 else -2
            # CategoryShrinkRefused: lost a race, nothing was written
            with contextlib.suppress(CategoryShrinkRefused):
                category_update(
                    category_id=category.pk,
                    expected_total_seats=current.total_seats,
                    name=current.name,
                    price=current.price,
                    currency=current.currency,
                    display_order=current.display_order,
                    total_seats=current.total_seats + change,
                )

    *sold, _ = returned_values(
        run_concurrently(lambda role: role(), [seller] * SELLERS + [resizer])
    )

    category.refresh_from_db()
    assert 0 <= category.available_seats <= category.total_seats
    assert category.total_seats - category.available_seats == sum(sold)
