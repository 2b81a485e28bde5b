"""Venue time: a concert's IANA zone, validated, shown on every page and typed in the admin;
currencies validated against ISO 4217."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from concerts.management.commands.seed_demo import DEMO_CONCERTS
from concerts.models import Concert, TicketCategory
from tests.factories import ConcertFactory, TicketCategoryFactory

pytestmark = pytest.mark.django_db

# 20:00 on Monday 21 December 2026 in Los Angeles.
SHOW_UTC = datetime(2026, 12, 22, 4, 0, tzinfo=UTC)


def test_a_concert_needs_a_real_time_zone():
    concert = ConcertFactory.build(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as invalid:
        concert.full_clean(exclude=["slug"])
    assert "timezone" in invalid.value.message_dict
    ConcertFactory.build(timezone="Asia/Tokyo").full_clean(exclude=["slug"])


def test_a_category_needs_an_iso_4217_currency():
    category = TicketCategoryFactory.build(concert=ConcertFactory(), currency="abc")
    with pytest.raises(ValidationError) as invalid:
        category.full_clean()
    assert "currency" in invalid.value.message_dict
    TicketCategoryFactory.build(concert=ConcertFactory(), currency="JPY").full_clean()


def test_pages_show_times_in_the_venue_zone_with_its_name(client, make_concert):
    concert = make_concert(categories=[("Stalls", "8800", 10)])
    Concert.objects.filter(pk=concert.pk).update(starts_at=SHOW_UTC, timezone="America/Los_Angeles")
    TicketCategory.objects.filter(concert=concert).update(currency="jpy")

    detail = client.get(reverse("concerts:detail", kwargs={"slug": concert.slug})).content.decode()
    home = client.get(reverse("concerts:home")).content.decode()

    assert "Monday 21 December 2026, 20:00 PST" in detail
    assert '<time datetime="2026-12-22T04:00:00Z" data-venue-tz="America/Los_Angeles">' in detail
    assert "¥8,800" in detail
    assert "concerts/local-time.js" in detail
    assert "Mon 21 Dec 2026, 20:00 PST" in home
    assert "¥8,800" in home


def test_the_admin_reads_and_shows_times_in_the_venue_zone(admin_client, make_concert):
    concert = make_concert()
    Concert.objects.filter(pk=concert.pk).update(timezone="Asia/Tokyo", starts_at=SHOW_UTC)
    url = reverse("admin:concerts_concert_change", args=[concert.pk])

    page = admin_client.get(url).content.decode()
    assert 'name="starts_at_1" value="13:00:00"' in page  # 04:00 UTC is 13:00 in Tokyo
    assert "venue&#x27;s wall clock" in page or "venue's wall clock" in page

    from tests.concerts.test_admin import concert_form

    concert.refresh_from_db()
    data = concert_form(
        concert,
        timezone="Asia/Tokyo",
        starts_at_0="2026-12-21",
        starts_at_1="19:00:00",
        sale_starts_at_0="2026-12-01",
        sale_starts_at_1="10:00:00",
    )
    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    concert.refresh_from_db()
    assert concert.starts_at == datetime(2026, 12, 21, 10, 0, tzinfo=UTC)  # 19:00 JST
    assert concert.sale_starts_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def test_a_new_concert_in_the_admin_takes_the_zone_typed_with_it(admin_client):
    from tests.concerts.test_admin import ADD_URL, concert_form

    data = concert_form(
        timezone="Europe/London",
        starts_at_0="2026-07-10",
        starts_at_1="20:00:00",
        sale_starts_at_0="2026-06-01",
        sale_starts_at_1="09:00:00",
    )
    response = admin_client.post(ADD_URL, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    concert = Concert.objects.get(slug="admin-made")
    assert concert.timezone == "Europe/London"
    assert concert.starts_at == datetime(2026, 7, 10, 19, 0, tzinfo=UTC)  # 20:00 BST


def _create(*args) -> Concert:
    out = StringIO()
    call_command("create_concert", *args, stdout=out, stderr=StringIO())
    return Concert.objects.get(pk=int(out.getvalue()))


def test_create_concert_takes_local_times_in_the_venue_zone():
    concert = _create(
        "Tokyo Night",
        "--venue",
        "Kioi Hall",
        "--timezone",
        "Asia/Tokyo",
        "--starts-at",
        "2030-12-21T19:00",
        "--currency",
        "JPY",
        "--category",
        "Stalls:8800:100",
    )
    assert concert.timezone == "Asia/Tokyo"
    assert concert.starts_at == datetime(2030, 12, 21, 10, 0, tzinfo=UTC)
    assert concert.categories.get().currency == "jpy"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--timezone", "Mars/Base"], "IANA zone"),
        (["--currency", "abc"], "ISO 4217"),
    ],
)
def test_create_concert_refuses_unknown_zones_and_currencies(extra, message):
    with pytest.raises(CommandError, match=message):
        _create(
            "X", "--venue", "Y", "--starts-at", "2030-01-01T20:00", "--category", "A:1:1", *extra
        )


def test_seed_demo_puts_shows_at_local_evening_hours_in_several_zones():
    call_command("seed_demo", stdout=StringIO())
    zones = set()
    for demo in DEMO_CONCERTS:
        concert = Concert.objects.get(slug=demo.slug)
        local = concert.starts_at.astimezone(zoneinfo.ZoneInfo(demo.timezone))
        assert concert.timezone == demo.timezone
        assert 18 <= local.hour <= 22
        assert concert.sale_starts_at < concert.starts_at
        assert concert.starts_at > timezone.now() + timedelta(days=1)
        zones.add(demo.timezone)
    assert {"Europe/London", "America/Los_Angeles", "Asia/Tokyo"} <= zones
    tokyo = Concert.objects.get(timezone="Asia/Tokyo")
    assert set(tokyo.categories.values_list("currency", flat=True)) == {"jpy"}
