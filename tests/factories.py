"""factory_boy factories shared by every app's tests."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from concerts.models import Concert, TicketCategory


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"fan{n}@example.com")
    first_name = "Fan"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-9")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class ConcertFactory(factory.django.DjangoModelFactory):
    """A published concert whose sale opened an hour ago and that plays in 30 days."""

    class Meta:
        model = Concert

    name = factory.Sequence(lambda n: f"Concert {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    venue = "Royal Albert Hall"
    description = "An evening of music."
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    sale_starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    published = True


class TicketCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketCategory

    concert = factory.SubFactory(ConcertFactory)
    name = factory.Sequence(lambda n: f"Category {n}")
    price = Decimal("49.00")
    currency = "usd"
    total_seats = 100
    available_seats = factory.LazyAttribute(lambda o: o.total_seats)
    display_order = 0
