"""factory_boy factories shared by every app's tests."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from bookings.models import Booking, Ticket
from concerts.models import Concert, TicketCategory
from payments.models import Payment


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


class FanFactory(UserFactory):
    """A fan with no usable password: hashing one per booking would dominate the run."""

    password = factory.PostGenerationMethodCall("set_unusable_password")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 - declared after password
        if create:
            obj.save()


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking as the bookings service leaves it: pending, held for 10 minutes.

    A pending or confirmed booking takes its seats from the category with the same
    conditional UPDATE the service uses, so available + held + sold == total still holds
    (and the category passed in is refreshed). Expired and cancelled ones hold no seats.
    Traits: confirmed, expired, cancelled, overdue (pending, its hold already past).
    """

    class Meta:
        model = Booking

    class Params:
        confirmed = factory.Trait(
            status=Booking.Status.CONFIRMED,
            confirmed_at=factory.LazyFunction(timezone.now),
        )
        expired = factory.Trait(
            status=Booking.Status.EXPIRED,
            expires_at=factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=1)),
            expired_at=factory.LazyFunction(timezone.now),
        )
        cancelled = factory.Trait(
            status=Booking.Status.CANCELLED, cancelled_at=factory.LazyFunction(timezone.now)
        )
        overdue = factory.Trait(
            expires_at=factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=1))
        )

    user = factory.SubFactory(FanFactory)
    category = factory.SubFactory(TicketCategoryFactory)
    concert = factory.LazyAttribute(lambda o: o.category.concert)
    quantity = 2
    unit_price = factory.LazyAttribute(lambda o: o.category.price)
    total_amount = factory.LazyAttribute(lambda o: o.unit_price * o.quantity)
    currency = factory.LazyAttribute(lambda o: o.category.currency.lower())
    status = Booking.Status.PENDING
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=10))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        booking = super()._create(model_class, *args, **kwargs)
        if booking.status in (Booking.Status.PENDING, Booking.Status.CONFIRMED):
            taken = TicketCategory.objects.filter(
                pk=booking.category_id, available_seats__gte=booking.quantity
            ).update(available_seats=F("available_seats") - booking.quantity)
            if not taken:
                raise ValueError(f"BookingFactory: not {booking.quantity} seats left")
            booking.category.refresh_from_db(fields=["available_seats"])
        return booking


class PaymentFactory(factory.django.DjangoModelFactory):
    """The fake provider's payment of a booking, awaiting payment (trait: succeeded).

    Only our Payment row: a test that needs the provider's side too (verification, a
    refund) creates the intent through payments.services.payment_intent_create instead.
    """

    class Meta:
        model = Payment

    class Params:
        succeeded = factory.Trait(
            status=Payment.Status.SUCCEEDED, succeeded_at=factory.LazyFunction(timezone.now)
        )

    booking = factory.SubFactory(BookingFactory)
    provider = Payment.Provider.FAKE
    intent_id = factory.Sequence(lambda n: f"pi_fake_factory_{n}")
    client_secret = factory.LazyAttribute(lambda o: f"{o.intent_id}_secret")
    amount = factory.LazyAttribute(lambda o: o.booking.total_amount)
    currency = factory.LazyAttribute(lambda o: o.booking.currency)


class TicketFactory(factory.django.DjangoModelFactory):
    """A valid ticket of a confirmed booking (traits: checked_in, void)."""

    class Meta:
        model = Ticket

    class Params:
        checked_in = factory.Trait(
            status=Ticket.Status.CHECKED_IN, checked_in_at=factory.LazyFunction(timezone.now)
        )
        void = factory.Trait(status=Ticket.Status.VOID)

    booking = factory.SubFactory(BookingFactory, confirmed=True)
    status = Ticket.Status.VALID


def make_fans(count: int, prefix: str) -> list:
    """`count` fans in one INSERT (no password hashing), for the races that need hundreds."""
    User.objects.bulk_create(
        [User(email=f"{prefix}{n}@example.com", password="!") for n in range(count)]
    )
    return list(User.objects.filter(email__startswith=prefix).order_by("pk"))
