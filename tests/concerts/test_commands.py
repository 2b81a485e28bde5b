from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from concerts.management.commands.seed_demo import STAFF_EMAIL, STAFF_PASSWORD
from concerts.models import Concert
from concerts.selectors import SaleState, concert_sale_state

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_seed_demo_creates_the_demo_catalog_and_staff_login():
    output = run("seed_demo")
    assert f"Staff login: {STAFF_EMAIL} / {STAFF_PASSWORD}" in output
    staff = get_user_model().objects.get(email=STAFF_EMAIL)
    assert staff.is_staff
    assert staff.check_password(STAFF_PASSWORD)

    now = timezone.now()
    published = Concert.objects.published()
    states = {c.slug: concert_sale_state(c, now) for c in published}
    assert SaleState.ON_SALE in states.values()
    assert SaleState.NOT_OPEN in states.values()
    assert SaleState.SOLD_OUT in states.values()
    assert Concert.objects.filter(published=False).exists()

    big = published.get(slug="neon-harbor-live")
    categories = list(big.categories.values_list("name", "price", "total_seats", "currency"))
    assert len(categories) == 3
    assert sum(c[2] for c in categories) == 5000
    assert {str(c[1]) for c in categories} == {"120.00", "85.00", "49.50"}
    assert {c[3] for c in categories} == {"usd"}

    future = published.get(slug="maya-okafor-quartet-midnight-sessions")
    days = (future.sale_starts_at - now).total_seconds() / 86400
    assert 2.9 < days <= 3


def test_seed_demo_is_idempotent():
    run("seed_demo")
    snapshot = list(Concert.objects.values_list("slug", "starts_at", "sale_starts_at"))
    output = run("seed_demo")
    assert "0 created" in output
    assert list(Concert.objects.values_list("slug", "starts_at", "sale_starts_at")) == snapshot
    assert get_user_model().objects.filter(email=STAFF_EMAIL).count() == 1


def test_seed_demo_moves_drifted_demo_dates_forward(time_machine):
    run("seed_demo")
    time_machine.move_to(timezone.now() + timezone.timedelta(days=10))
    output = run("seed_demo")
    assert "rescheduled" in output
    now = timezone.now()
    future = Concert.objects.get(slug="maya-okafor-quartet-midnight-sessions")
    assert concert_sale_state(future, now) == SaleState.NOT_OPEN
    for concert in Concert.objects.all():
        assert concert.starts_at > now


def test_create_concert_prints_the_id_of_a_published_concert():
    output = run(
        "create_concert",
        "Night Shift",
        "--venue",
        "Town Hall",
        "--starts-at",
        "2031-05-01T20:00:00+02:00",
        "--sale-starts-at",
        "2031-04-01T10:00",
        "--category",
        "Floor:120:2000",
        "--category",
        "Seats: Row A:49.5:100",
    )
    concert = Concert.objects.get(pk=int(output.strip()))
    assert concert.published
    assert concert.venue == "Town Hall"
    assert concert.starts_at.isoformat() == "2031-05-01T18:00:00+00:00"
    assert concert.sale_starts_at.isoformat() == "2031-04-01T10:00:00+00:00"  # naive: UTC
    rows = list(concert.categories.values_list("name", "price", "total_seats", "available_seats"))
    assert [(n, str(p), t, a) for n, p, t, a in rows] == [
        ("Floor", "120.00", 2000, 2000),
        ("Seats: Row A", "49.50", 100, 100),
    ]


def test_create_concert_makes_unique_slugs():
    args = ["--venue", "Hall", "--starts-at", "2031-05-01T20:00Z", "--category", "GA:10:10"]
    first = Concert.objects.get(pk=int(run("create_concert", "Same Name", *args)))
    second = Concert.objects.get(pk=int(run("create_concert", "Same Name", *args)))
    assert (first.slug, second.slug) == ("same-name", "same-name-2")


def test_create_concert_sale_defaults_to_now():
    before = timezone.now()
    concert_id = run(
        "create_concert",
        "Soon",
        "--venue",
        "Hall",
        "--starts-at",
        "2031-05-01",
        "--category",
        "GA:0:1",
    )
    concert = Concert.objects.get(pk=int(concert_id))
    assert before <= concert.sale_starts_at <= timezone.now()
    assert concert.categories.get().price == 0  # free events are fine


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--starts-at", "next friday"], "is not an ISO 8601 date-time"),
        (["--sale-starts-at", "2031-06-01T00:00"], "--sale-starts-at must be before --starts-at"),
        (["--category", "Floor-120-10"], 'expected "NAME:PRICE:SEATS"'),
        (["--category", ":10:10"], 'expected "NAME:PRICE:SEATS"'),
        (["--category", "Floor:-1:10"], "the price cannot be negative"),
        (["--category", "Floor:ten:10"], "is not a number"),
        (["--category", "Floor:NaN:10"], "is not a number"),
        (["--category", "Floor:1.234:10"], "at most 2 decimals"),
        (["--category", "Floor:10:0"], "at least one seat"),
        (["--category", "Floor:10:-5"], "at least one seat"),
        (["--category", "Floor:10:lots"], "is not a whole number"),
        (["--category", "Floor:10:5", "--category", "floor:20:5"], "is used twice"),
        (["--currency", "dollars"], "3-letter code"),
        (["--venue", "  "], "--venue cannot be empty"),
    ],
)
def test_create_concert_rejects_bad_arguments_clearly(extra, message):
    args = {"--venue": "Hall", "--starts-at": "2031-05-01T20:00:00Z", "--category": None}
    argv = ["create_concert", "Bad Show"]
    for option, value in args.items():
        if option not in extra and value is not None:
            argv += [option, value]
    if "--category" not in extra:
        argv += ["--category", "GA:10:10"]
    with pytest.raises(CommandError) as excinfo:
        call_command(*argv, *extra, stdout=StringIO())
    assert message in str(excinfo.value)
    assert not Concert.objects.exists()


def test_create_concert_in_the_past_needs_an_explicit_sale_start():
    with pytest.raises(CommandError, match="in the past"):
        call_command(
            "create_concert",
            "Old",
            "--venue",
            "Hall",
            "--starts-at",
            "2001-01-01",
            "--category",
            "GA:1:1",
        )


def test_create_concert_requires_venue_starts_at_and_a_category():
    for argv in (
        ["create_concert", "X", "--starts-at", "2031-01-01", "--category", "GA:1:1"],
        ["create_concert", "X", "--venue", "Hall", "--category", "GA:1:1"],
        ["create_concert", "X", "--venue", "Hall", "--starts-at", "2031-01-01"],
    ):
        with pytest.raises(CommandError):
            call_command(*argv, stdout=StringIO(), stderr=StringIO())
