"""Where a status, a join and a hold spend their time: pyinstrument, in-process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/boxoffice_bench \\
    REDIS_URL=redis://127.0.0.1:6379/11 python -m bench.profile_hot_path [--label before]

Same production settings as bench/run.py (DEBUG off, PostgreSQL, Redis); each route is
called many times through Django's test client (the full middleware stack, no network)
after a warm-up, each join and hold by a different fan. Writes
bench/results/profile-<label>.md: mean time per request and the call tree of the hot
frames. The database is dropped and recreated; the Redis DB is flushed.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import fixtures
from bench.stack import (
    StackConfig,
    check_environment,
    drop_database,
    flush_redis,
    recreate_database,
)

RESULTS = Path(__file__).resolve().parent / "results"
CALLS = 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="before")
    parser.add_argument("--calls", type=int, default=CALLS)
    args = parser.parse_args()
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    check_environment(database_url, redis_url)
    assert database_url
    assert redis_url
    config = StackConfig(database_url=database_url, redis_url=redis_url, port=0, web_concurrency=1)
    recreate_database(database_url)
    flush_redis(redis_url)
    os.environ.update(config.env())
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    try:
        sections = profile(args.calls)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(database_url)
    path = RESULTS / f"profile-{args.label}.md"
    path.write_text(render(args.label, args.calls, sections))
    print(f"written: {path}")


def profile(calls: int) -> list[tuple[str, tuple[float, float, float], str]]:
    from django.test import Client
    from pyinstrument import Profiler

    from queueing import redis_queue

    now = datetime.now(UTC)
    concert_id, categories = fixtures.create_concert(
        name="Profile",
        sale_starts_at=now - timedelta(minutes=1),
        categories=[("Floor", "50.00", 1_000_000)],
    )
    redis_queue.set_paused(concert_id, True)
    warm = calls // 10
    joiners = fixtures.create_fans("pjoin", 2 * calls + warm)
    holders = fixtures.create_fans("phold", 2 * calls + warm)
    fixtures.admit_directly(
        concert_id, [fan.user_id for fan in holders], until_ms=int((time.time() + 3600) * 1000)
    )
    client = Client(HTTP_HOST="127.0.0.1")

    def join(fan):
        return client.post(
            "/api/v1/queue/join",
            {"concert_id": concert_id},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {fan.token}",
        )

    def status(fan):
        return client.get(
            f"/api/v1/queue/status?concert_id={concert_id}",
            HTTP_AUTHORIZATION=f"Bearer {fan.token}",
        )

    def hold(fan):
        return client.post(
            "/api/v1/booking/",
            {"category_id": categories[0].id, "quantity": 1},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {fan.token}",
        )

    sections = []
    for name, call, fans, expected in (
        ("join", join, joiners, 200),
        ("status", status, joiners, 200),
        ("hold", hold, holders, 201),
    ):
        for fan in fans[:warm]:
            assert call(fan).status_code == expected
        profiler = Profiler(interval=0.0002)
        started = time.perf_counter()
        with profiler:
            for fan in fans[warm : warm + calls]:
                assert call(fan).status_code == expected
        mean_ms = (time.perf_counter() - started) * 1000 / calls
        # Then the same number of calls without the profiler: this process's CPU time per
        # request (the database's and Redis's own work is not in it) and the wall time.
        unprofiled = fans[warm + calls : warm + 2 * calls]
        cpu_started, wall_started = time.process_time(), time.perf_counter()
        for fan in unprofiled:
            assert call(fan).status_code == expected
        cpu_ms = (time.process_time() - cpu_started) * 1000 / len(unprofiled)
        wall_ms = (time.perf_counter() - wall_started) * 1000 / len(unprofiled)
        tree = profiler.output_text(unicode=False, color=False, show_all=False)
        sections.append((name, (mean_ms, cpu_ms, wall_ms), top_self_time(profiler) + "\n\n" + tree))
        print(f"  {name}: {mean_ms:.2f} ms profiled, {cpu_ms:.2f} ms CPU, {wall_ms:.2f} ms wall")
    return sections


def top_self_time(profiler, count: int = 15) -> str:
    """The functions where the time is spent themselves (not in callees), summed over calls."""
    totals: dict[str, float] = {}
    root = profiler.last_session.root_frame()
    duration = root.time if root else 0.0
    stack = [root] if root else []
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        if frame.children or not frame.function:
            continue
        # pyinstrument puts a function's own time in a synthetic "[self]" child
        owner = frame.parent if frame.function.startswith("[") and frame.parent else frame
        where = f"{owner.function}  {owner.file_path_short}:{owner.line_no}"
        totals[where] = totals.get(where, 0.0) + frame.time
    rows = sorted(totals.items(), key=lambda item: -item[1])[:count]
    lines = ["Top frames by own time (share of the profiled wall time):"]
    lines += [f"{seconds / duration:6.1%}  {where}" for where, seconds in rows if duration]
    return "\n".join(lines)


def render(
    label: str, calls: int, sections: list[tuple[str, tuple[float, float, float], str]]
) -> str:
    lines = [
        f"# Hot path profile: {label}",
        "",
        f"pyinstrument, in-process through Django's test client (full middleware stack, DEBUG "
        f"off, PostgreSQL, Redis), {calls} requests per route after a warm-up, each join and "
        "hold by a different fan. Produced by `make bench-profile` "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, shared machine: "
        "compare shares of time, not absolute figures).",
        "",
        "| route | mean ms per request (under the profiler) | CPU ms per request (no "
        "profiler, this process only) | wall ms per request (no profiler) |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {profiled:.2f} | {cpu:.2f} | {wall:.2f} |"
        for name, (profiled, cpu, wall), _tree in sections
    ]
    for name, _mean_ms, tree in sections:
        kept = [row for row in tree.splitlines() if row.strip()][:100]
        lines += ["", f"## {name}", "", "```", *kept, "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
