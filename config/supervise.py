"""`python -m config.supervise <command> [args...]`: keep one process running.

The Procfile runs the Celery worker and beat through it. honcho stops the whole site when
any of its processes exits; a worker that died (a broker restart, an out-of-memory kill)
would take the web server down with it and stop the sale. This loop restarts the command
instead, with a backoff (1 s doubling to 30 s, back to 1 s after a minute of good running),
and logs each restart. SIGTERM or SIGINT is passed on to the command and ends the loop, so
honcho's Ctrl-C still stops everything; the command also gets SIGTERM if this loop itself
is killed (Linux PDEATHSIG), so nothing outlives it.
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
import time

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
HEALTHY_RUN_SECONDS = 60.0
PR_SET_PDEATHSIG = 1


def _end_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _log(message: str) -> None:
    print(f"supervise: {message}", file=sys.stderr, flush=True)


def supervise(command: list[str], *, max_backoff: float = MAX_BACKOFF_SECONDS) -> int:
    """Run `command` until asked to stop; returns the command's last exit code."""
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    backoff = FIRST_BACKOFF_SECONDS
    while True:
        started = time.monotonic()
        child = None
        child = subprocess.Popen(command, preexec_fn=_end_with_parent)  # noqa: S603, PLW1509
        if stopping:  # the signal came while the command was starting: not passed on yet
            child.send_signal(signal.SIGTERM)
        returncode = child.wait()
        if stopping:
            return returncode
        if time.monotonic() - started > HEALTHY_RUN_SECONDS:
            backoff = FIRST_BACKOFF_SECONDS
        _log(f"{command[0]} exited with {returncode}; restarting in {backoff:.0f}s")
        restart_at = time.monotonic() + backoff
        while not stopping and time.monotonic() < restart_at:
            time.sleep(0.1)
        if stopping:
            return returncode
        backoff = min(backoff * 2, max_backoff)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m config.supervise <command> [args...]")
    sys.exit(supervise(sys.argv[1:]))
