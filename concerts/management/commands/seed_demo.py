"""Demo data for `make run`: the staff login and a handful of concerts (idempotent).

Concerts are found again by slug: running the command twice creates nothing new.
A demo concert without bookings whose dates have drifted out of the state it
demonstrates (e.g. the "sale opens in 3 days" one, a week later) gets its dates moved
forward again; seats are never touched once created.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from concerts.models import Concert, TicketCategory
from concerts.selectors import concert_is_sale_open
from concerts.services import CategorySpec, concert_create

STAFF_EMAIL = "staff@boxoffice.localhost"
STAFF_PASSWORD = "boxoffice-staff"  # noqa: S105 - demo login for the embedded setup, printed


@dataclass(frozen=True)
class DemoConcert:
    slug: str
    name: str
    venue: str
    description: str
    timezone: str  # the venue's
    starts_in_days: int  # the show is that many days ahead, at local_start in the venue's zone
    local_start: time
    sale_starts_in: timedelta  # negative: the sale opened that long ago
    categories: tuple[CategorySpec, ...]
    available: dict[str, int] = field(default_factory=dict)  # category -> seats left
    published: bool = True


DEMO_CONCERTS = (
    DemoConcert(
        slug="neon-harbor-live",
        name="Neon Harbor: Tidal Lights Tour",
        venue="Riverside Arena, Portland",
        timezone="America/Los_Angeles",
        description=(
            "The synth-pop trio brings its Tidal Lights tour home for one night only: "
            "the new album in full, the early hits, and a light show built for the arena.\n\n"
            "Doors open at 18:30. Support from Paper Satellites."
        ),
        starts_in_days=21,
        local_start=time(20, 0),
        sale_starts_in=-timedelta(hours=1),
        categories=(
            CategorySpec("Floor (standing)", Decimal("120.00"), 2000),
            CategorySpec("Lower tier", Decimal("85.00"), 2000),
            CategorySpec("Upper tier", Decimal("49.50"), 1000),
        ),
    ),
    DemoConcert(
        slug="maya-okafor-quartet-midnight-sessions",
        name="Maya Okafor Quartet: Midnight Sessions",
        venue="Harbourside Jazz Club, London",
        timezone="Europe/London",
        description=(
            "Two sets of late-night jazz from the Grammy-nominated pianist and her quartet, "
            "with songs from the upcoming record 'Lanterns'.\n\nTable seating includes "
            "table service. Standing tickets are at the bar."
        ),
        starts_in_days=40,
        local_start=time(21, 30),
        sale_starts_in=timedelta(days=3),
        categories=(
            CategorySpec("Table seating", Decimal("75.00"), 120, currency="gbp"),
            CategorySpec("Standing", Decimal("35.00"), 380, currency="gbp"),
        ),
    ),
    DemoConcert(
        slug="static-bloom-farewell",
        name="Static Bloom: The Farewell Show",
        venue="The Foundry, Chicago",
        timezone="America/Chicago",
        description=(
            "Fifteen years, four albums, one last night. Static Bloom play their final show "
            "in the room where it started."
        ),
        starts_in_days=12,
        local_start=time(20, 0),
        sale_starts_in=-timedelta(days=10),
        categories=(
            CategorySpec("General admission", Decimal("65.00"), 800),
            CategorySpec("Balcony", Decimal("80.00"), 200),
        ),
        available={"General admission": 0, "Balcony": 0},
    ),
    DemoConcert(
        slug="lucia-ferrer-guitarra",
        name="Lucía Ferrer: Guitarra",
        venue="Kioi Hall, Tokyo",
        timezone="Asia/Tokyo",
        description=(
            "An intimate evening of Spanish classical and flamenco guitar, from Tárrega "
            "to Ferrer's own compositions."
        ),
        starts_in_days=8,
        local_start=time(19, 0),
        sale_starts_in=-timedelta(days=20),
        categories=(
            CategorySpec("Stalls", Decimal("8800"), 600, currency="jpy"),
            CategorySpec("Circle", Decimal("6600"), 300, currency="jpy"),
        ),
        available={"Stalls": 41, "Circle": 12},
    ),
    DemoConcert(
        slug="winter-solstice-choir",
        name="Winter Solstice Choir (draft)",
        venue="St. Mark's Cathedral, Seattle",
        timezone="America/Los_Angeles",
        description="Not published yet: an example of a concert staff are still preparing.",
        starts_in_days=60,
        local_start=time(19, 30),
        sale_starts_in=timedelta(days=30),
        categories=(CategorySpec("Nave", Decimal("30.00"), 400),),
        published=False,
    ),
)


def venue_evening(demo: DemoConcert, now: datetime) -> datetime:
    """The show's start: starts_in_days from today, at local_start on the venue's clock."""
    zone = zoneinfo.ZoneInfo(demo.timezone)
    day = now.astimezone(zone).date() + timedelta(days=demo.starts_in_days)
    return datetime.combine(day, demo.local_start, tzinfo=zone)


class Command(BaseCommand):
    help = "Create the demo staff user and demo concerts (idempotent)."

    def handle(self, *args, **options):
        self._ensure_staff()
        created = refreshed = 0
        now = timezone.now()
        for demo in DEMO_CONCERTS:
            concert = Concert.objects.filter(slug=demo.slug).first()
            if concert is None:
                self._create(demo, now)
                created += 1
            elif self._refresh_dates(concert, demo, now):
                refreshed += 1
        kept = len(DEMO_CONCERTS) - created - refreshed
        self.stdout.write(
            f"Demo concerts: {created} created, {refreshed} rescheduled, {kept} unchanged."
        )
        self.stdout.write(f"Staff login: {STAFF_EMAIL} / {STAFF_PASSWORD}")

    def _ensure_staff(self) -> None:
        User = get_user_model()  # noqa: N806
        staff, created = User.objects.get_or_create(
            email=STAFF_EMAIL,
            defaults={
                "is_staff": True,
                "is_superuser": True,
                "first_name": "Box",
                "last_name": "Office",
            },
        )
        if created:
            staff.set_password(STAFF_PASSWORD)
            staff.save(update_fields=["password"])

    @transaction.atomic
    def _create(self, demo: DemoConcert, now) -> None:
        concert = concert_create(
            name=demo.name,
            venue=demo.venue,
            timezone=demo.timezone,
            description=demo.description,
            starts_at=venue_evening(demo, now),
            sale_starts_at=now + demo.sale_starts_in,
            categories=demo.categories,
            published=demo.published,
            slug=demo.slug,
        )
        for name, seats_left in demo.available.items():
            # Demo only: pretend these seats were sold (no booking rows behind them).
            TicketCategory.objects.filter(concert=concert, name=name).update(
                available_seats=seats_left
            )

    def _refresh_dates(self, concert: Concert, demo: DemoConcert, now) -> bool:
        sale_should_be_open = demo.sale_starts_in <= timedelta(0)
        drifted = concert.starts_at <= now or (
            concert_is_sale_open(concert, now) != sale_should_be_open
        )
        if not drifted or concert.bookings.exists():
            return False
        Concert.objects.filter(pk=concert.pk).update(
            starts_at=venue_evening(demo, now),
            sale_starts_at=now + demo.sale_starts_in,
            timezone=demo.timezone,
        )
        return True
