import pytest

from tests.factories import TicketCategoryFactory, UserFactory


@pytest.mark.django_db
def test_factories_build_valid_rows():
    category = TicketCategoryFactory(total_seats=10)
    user = UserFactory()
    assert category.available_seats == 10
    assert category.concert.published
    assert user.check_password("correct-horse-battery-9")
