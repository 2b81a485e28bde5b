from decimal import Decimal

import pytest

from tests.factories import ConcertFactory, TicketCategoryFactory


@pytest.fixture
def make_concert():
    """A published concert (sale open, plays in 30 days) with categories [(name, price, seats)]."""

    def make(categories=(("Floor", "120.00", 100),), **fields):
        concert = ConcertFactory(**fields)
        for order, (name, price, seats) in enumerate(categories):
            TicketCategoryFactory(
                concert=concert,
                name=name,
                price=Decimal(price),
                total_seats=seats,
                display_order=order,
            )
        return concert

    return make
