"""The on-sale under load: `make bench` (full) and `make bench-quick`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/boxoffice_bench \\
    REDIS_URL=redis://127.0.0.1:6379/11 python -m bench.run --quick

Starts a production-like stack on loopback (bench/stack.py), prepares fans in bulk, then
in one run: the route table (wrk: minimal view and one Redis GET as baselines, join,
status at a small and a huge line, hold; access log on vs off), the purchase throughput
(16 clients, a new connection per request) and the rush (F fans, S seats). Writes
bench/results/<name>.json, latest.json, latest.md and latest.png and prints the summary.
The database named in DATABASE_URL (boxoffice_bench*) is dropped and created; the Redis
DB of REDIS_URL is flushed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import fixtures, report, routes, rush
from bench.stack import Stack, StackConfig, check_environment, flush_redis, recreate_database


@dataclass(frozen=True)
class Mode:
    name: str
    fans: int
    seats: tuple[int, int, int]
    route_seconds: int
    purchase_seconds: int
    join_fans: int
    hold_fans: int
    purchase_fans: int
    huge_line: int
    arrival_before: float
    arrival_after: float
    rush_deadline: float  # seconds after the sale start


QUICK = Mode("quick", 2_000, (100, 150, 250), 3, 8, 2_000, 1_500, 1_000, 100_000, 8, 12, 60)
FULL = Mode(
    "full", 20_000, (1_000, 1_500, 2_500), 15, 20, 12_000, 10_000, 6_000, 1_000_000, 30, 60, 600
)
SHAPE_CONNECTIONS = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 fans, 500 seats, short runs")
    parser.add_argument("--name", help="results file name (default: <mode>-<UTC time>)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8311")))
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    mode = QUICK if args.quick else FULL
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    check_environment(database_url, redis_url)
    routes.require_wrk()
    assert database_url
    assert redis_url

    started_wall = time.monotonic()
    name = args.name or f"{mode.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    cores = os.cpu_count() or 1
    config = StackConfig(
        database_url=database_url,
        redis_url=redis_url,
        port=args.port,
        web_concurrency=int(os.environ.get("WEB_CONCURRENCY", 2 * cores + 1)),
    )
    env = config.env()
    print(f"bench[{mode.name}]: DB {database_url.rsplit('/', 1)[-1]} recreated, Redis DB flushed")
    recreate_database(database_url)
    flush_redis(redis_url)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)

    workdir = Path(tempfile.mkdtemp(prefix="boxoffice-bench-"))
    stack = Stack(config, env, workdir)
    stack.install_cleanup()
    try:
        results = run(mode, stack, env, name)
    finally:
        stack.stop_all()
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            from bench.stack import drop_database

            drop_database(database_url)
    results["wall_clock_seconds"] = round(time.monotonic() - started_wall, 1)
    paths = report.write(results)
    print(report.console_summary(results))
    print("written: " + ", ".join(str(path) for path in paths))


def run(mode: Mode, stack: Stack, env: dict[str, str], name: str) -> dict:
    from config.redis import get_queue_redis
    from queueing import redis_queue

    t0 = time.monotonic()
    now = datetime.now(UTC)
    routes_concert, route_categories = fixtures.create_concert(
        name="Bench Routes",
        sale_starts_at=now - timedelta(minutes=5),
        categories=[("Hold", "10.00", 5_000_000), ("Purchase", "10.00", 5_000_000)],
    )
    redis_queue.set_paused(routes_concert, True)  # the line stays as the routes leave it
    seats = mode.seats
    rush_concert, rush_categories = fixtures.create_concert(
        name="Bench Rush",
        sale_starts_at=now + timedelta(hours=1),  # moved to just ahead of the rush later
        categories=[
            ("Floor", "89.00", seats[0]),
            ("Tier 1", "69.00", seats[1]),
            ("Tier 2", "49.00", seats[2]),
        ],
    )
    join_fans = fixtures.create_fans("join", mode.join_fans)
    hold_fans = fixtures.create_fans("hold", mode.hold_fans)
    purchase_fans = fixtures.create_fans("buy", mode.purchase_fans)
    rush_fans = fixtures.create_fans("fan", mode.fans)
    until_ms = int((time.time() + 3600) * 1000)
    fixtures.admit_directly(
        routes_concert, [f.user_id for f in hold_fans + purchase_fans], until_ms=until_ms
    )
    setup_seconds = time.monotonic() - t0
    print(
        f"bench: {len(rush_fans) + mode.join_fans + mode.hold_fans + mode.purchase_fans} "
        f"fans and tokens prepared in {setup_seconds:.1f}s; starting the stack"
    )

    stack.start_celery()
    stack.start_web()
    base = stack.base_url
    shape = routes.LoadShape(threads=2, connections=SHAPE_CONNECTIONS, seconds=mode.route_seconds)
    join_tokens = [f.token for f in join_fans]

    def wrk(name: str, path: str, **kwargs) -> dict:
        row = routes.run_wrk(base, name=name, path=path, shape=shape, **kwargs)
        print(
            f"  {name:<22} {row['requests_per_second']:>8.1f} req/s  p50 {row['p50_ms']:.1f} ms"
            f"  p99 {row['p99_ms']:.1f} ms  codes {row['codes']}"
        )
        return row

    print("bench: routes (wrk)")
    route_rows = [
        wrk("minimal", "/bench/minimal"),
        wrk("redis_get", "/bench/redis-get"),
        wrk(
            "join",
            "/api/v1/queue/join",
            method="POST",
            body={"concert_id": routes_concert},
            tokens=join_tokens,
        ),
        wrk("status", f"/api/v1/queue/status?concert_id={routes_concert}", tokens=join_tokens),
        wrk(
            "hold",
            "/api/v1/booking/",
            method="POST",
            body={"category_id": route_categories[0].id, "quantity": 1},
            tokens=[f.token for f in hold_fans],
        ),
    ]
    small_line = get_queue_redis().zcard(redis_queue.concert_keys(routes_concert).waiting)
    fixtures.fill_waiting(routes_concert, ahead=mode.huge_line)
    huge_line = get_queue_redis().zcard(redis_queue.concert_keys(routes_concert).waiting)
    status_huge = wrk(
        f"status_{huge_line}_waiting",
        f"/api/v1/queue/status?concert_id={routes_concert}",
        tokens=join_tokens,
    )
    route_rows.append(status_huge)
    routes.with_ratios(route_rows)
    status_small = next(row for row in route_rows if row["route"] == "status")
    status_scaling = {
        "small_line": small_line,
        "huge_line": huge_line,
        "p50_small_ms": status_small["p50_ms"],
        "p50_huge_ms": status_huge["p50_ms"],
        "p50_ratio": round(status_huge["p50_ms"] / status_small["p50_ms"], 3)
        if status_small["p50_ms"]
        else None,
    }

    print("bench: access log off (gunicorn restarted without --access-logfile)")
    stack.stop("web")
    stack.start_web(access_log=False)
    no_log = [
        wrk("minimal_no_access_log", "/bench/minimal"),
        wrk(
            "status_no_access_log",
            f"/api/v1/queue/status?concert_id={routes_concert}",
            tokens=join_tokens,
        ),
    ]
    stack.stop("web")
    stack.start_web(access_log=True)
    access_log = {}
    for with_log, without in zip((route_rows[0], status_small), no_log, strict=True):
        rps_on, rps_off = with_log["requests_per_second"], without["requests_per_second"]
        access_log[with_log["route"]] = {
            "rps_with_access_log": rps_on,
            "rps_without_access_log": rps_off,
            "share_of_time": round(1 - rps_on / rps_off, 3) if rps_off else None,
        }

    print("bench: purchase throughput (16 clients, a new connection per request)")
    purchase = asyncio.run(
        rush.purchase_throughput(
            base,
            [f.token for f in purchase_fans],
            route_categories[1].id,
            clients=16,
            seconds=mode.purchase_seconds,
        )
    )
    print(
        f"  {purchase['holds_per_second']} holds/s, {purchase['purchases_per_second']} purchases/s"
    )

    print(f"bench: the rush, {mode.fans} fans for {sum(seats)} seats")
    rush_result = asyncio.run(play_rush(mode, base, rush_concert, rush_categories, rush_fans))

    return {
        "name": name,
        "mode": mode.name,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        },
        "stack": {
            "web": f"gunicorn, {env['WEB_CONCURRENCY']} sync workers, access log on",
            "database": "PostgreSQL (DATABASE_URL)",
            "settings": {
                key: env[key]
                for key in sorted(env)
                if key.startswith(
                    ("THROTTLE_", "QUEUE_", "BOOKING_", "JWT_", "WEB_CONCURRENCY", "DEBUG")
                )
            },
        },
        "setup_seconds": round(setup_seconds, 1),
        "routes": route_rows,
        "status_scaling": status_scaling,
        "access_log": access_log,
        "purchase": purchase,
        "rush": rush_result,
    }


async def play_rush(mode: Mode, base_url: str, concert_id: int, categories, fans) -> dict:
    from config.redis import get_queue_redis
    from queueing import redis_queue

    rng = random.Random(2024)
    lead = mode.arrival_before + 2
    sale_wall = datetime.now(UTC) + timedelta(seconds=lead)
    await asyncio.to_thread(fixtures.set_sale_start, concert_id, sale_wall)
    sale_start = time.monotonic() + lead
    plan = rush.RushPlan(
        fans=fans,
        concert_id=concert_id,
        category_ids=[c.id for c in categories],
        sale_start=sale_start,
        prequeue_share=0.3,
        arrival_before=mode.arrival_before,
        arrival_after=mode.arrival_after,
        behaviour=rush.Behaviour(),
        slot_seconds=int(os.environ["QUEUE_SLOT_SECONDS"]),
    )
    recorder = rush.Recorder()
    logs = [rush.FanLog() for _ in fans]
    keys = redis_queue.concert_keys(concert_id)
    client = get_queue_redis()
    samples: list[dict] = []

    def sample() -> dict:
        pipe = client.pipeline(transaction=False)
        now_ms = int(time.time() * 1000)
        pipe.zcard(keys.waiting)
        pipe.zcard(keys.prequeue)
        pipe.zcount(keys.active, f"({now_ms}", "+inf")
        waiting, prequeue, active = pipe.execute()
        counts = fixtures.seat_counts(concert_id)
        return {
            "t": round(time.monotonic() - sale_start, 1),
            "waiting": waiting + prequeue,
            "active": active,
            **asdict(counts),
        }

    connector = aiohttp_connector()
    import aiohttp

    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        api = rush.Api(session, base_url, recorder)
        tasks = [
            asyncio.create_task(rush.play_fan(api, fan, plan, log, random.Random(rng.random())))
            for fan, log in zip(fans, logs, strict=True)
        ]
        sold_out_at = None
        deadline = sale_start + mode.rush_deadline
        while True:
            await asyncio.sleep(1)
            row = await asyncio.to_thread(sample)
            samples.append(row)
            if sold_out_at is None and row["t"] > 0 and row["available"] == 0:
                sold_out_at = row["t"]
            all_done = all(task.done() for task in tasks)
            settled = row["available"] == 0 and row["held"] == 0
            if row["t"] > 0 and (all_done or settled or time.monotonic() > deadline):
                break
        still_running = sum(not task.done() for task in tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    # Holds left pending (walked away) expire: wait for the sweep, up to hold + 2 sweeps.
    drain_deadline = time.monotonic() + int(os.environ["BOOKING_HOLD_SECONDS"]) + 6
    while time.monotonic() < drain_deadline:
        row = await asyncio.to_thread(sample)
        samples.append(row)
        if row["held"] == 0:
            break
        await asyncio.sleep(1)

    final = await asyncio.to_thread(fixtures.seat_counts, concert_id)
    per_category = await asyncio.to_thread(fixtures.per_category_check, concert_id)
    fairness = await asyncio.to_thread(fixtures.admission_fairness, concert_id)
    by_route = rush.summarize(recorder.samples)
    all_codes: Counter = Counter()
    for route in by_route.values():
        all_codes.update(route["codes"])
    outcomes = Counter(log.outcome for log in logs)
    joined = [log for log in logs if log.joined_at is not None]
    status_polls = sum(log.status_polls for log in logs)
    offset = sale_start - recorder.started
    return {
        "fans": len(fans),
        "seats": final.total,
        "prequeue_fans": sum(log.prequeue for log in logs),
        "sale_start_offset_s": 0,
        "duration_s": samples[-1]["t"] if samples else None,
        "time_to_sell_out_s": sold_out_at,
        "final_seats": asdict(final),
        "oversold": sum(row["oversold"] for row in per_category),
        "unaccounted_seats": sum(row["unaccounted"] for row in per_category),
        "every_seat_sold_or_released": final.held == 0,
        "per_category": per_category,
        "responses_5xx": sum(n for code, n in all_codes.items() if code.startswith("5")),
        "no_response": all_codes.get("0", 0),
        "codes": dict(sorted(all_codes.items())),
        "by_route": by_route,
        "fairness": fairness,
        "status_requests_per_fan": round(status_polls / len(joined), 2) if joined else None,
        "polling": rush.polling_figures(logs),
        "outcomes": dict(outcomes),
        "fans_still_waiting_at_end": still_running,
        "samples": samples,
        "timeline": rush.timeline(recorder.samples, offset),
    }


def aiohttp_connector():
    import aiohttp

    # Browsers keep their connection; a few hundred cover F fans on loopback.
    return aiohttp.TCPConnector(limit=256, keepalive_timeout=30)


if __name__ == "__main__":
    main()
