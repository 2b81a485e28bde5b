"""The one way our tests race: real threads, started together, each with its own connection.

Every tests/*/test_concurrency.py runs its race through `run_concurrently`. A Barrier
releases the threads at once so their transactions (or Redis calls) really overlap; each
thread closes its database connection when it ends, so PostgreSQL sees no leaked session.
Thread counts stay at or under MAX_DB_THREADS when the threads touch the database: the
test PostgreSQL server is shared by CI and by several developers (max_connections).

Control tests (marked `control`) use the same helper to run a race *without* a
protection and show it really happens; they force the bad interleaving with a Barrier
between the read and the write, never with a sleep.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection

from config.errors import DomainError

MAX_DB_THREADS = 24
# A Redis-only race may use more threads; the client's pool holds 100 connections.
MAX_REDIS_THREADS = 64

_NOT_RUN = object()


def run_concurrently(
    fn: Callable[[Any], Any],
    args_list: Iterable[Any],
    *,
    threads: int = MAX_DB_THREADS,
    timeout: float = 120,
) -> list[Any]:
    """Call `fn(arg)` for every arg on `threads` threads released together by a Barrier.

    Returns, in the order of `args_list`, what each call returned or the Exception it
    raised (the outcome under test, never swallowed: see outcome_codes and
    returned_values). With more args than threads, the threads share the work.
    """
    args = list(args_list)
    threads = max(1, min(threads, len(args)))
    assert threads <= MAX_REDIS_THREADS, "more threads than the Redis pool has connections"
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for index, arg in enumerate(args):
        todo.put((index, arg))
    results: list[Any] = [_NOT_RUN] * len(args)
    start = threading.Barrier(threads)

    def work() -> None:
        try:
            start.wait(timeout=30)
            while True:
                try:
                    index, arg = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[index] = fn(arg)
                except Exception as exc:  # noqa: BLE001 - the outcome, handed to the test
                    results[index] = exc
        finally:
            connection.close()

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=timeout)
    stuck = [worker for worker in workers if worker.is_alive()]
    assert not stuck, f"{len(stuck)} thread(s) still running after {timeout}s: a deadlock?"
    assert _NOT_RUN not in results, "some calls never ran (the start barrier broke)"
    return results


def outcome_codes(results: list[Any]) -> Counter:
    """Count the outcomes: "ok" for a return, the code of a domain refusal. Any other
    exception is re-raised: a 500 in the making must fail the test, not vanish."""
    codes: Counter = Counter()
    for result in results:
        if isinstance(result, DomainError):
            codes[result.code] += 1
        elif isinstance(result, BaseException):
            raise result
        else:
            codes["ok"] += 1
    return codes


def returned_values(results: list[Any]) -> list[Any]:
    """The values returned, when no call may raise: the first exception is re-raised."""
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results
