"""config.supervise, which the Procfile runs the worker and beat under: a killed process
comes back, and stopping the supervisor stops it for good with nothing left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.conftest import children_of, stop_group

pytestmark = pytest.mark.fault

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def _wait_for_child(pid: int, *, other_than: int | None = None, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = [c for c in children_of(pid) if c != other_than]
        if children:
            return children[0]
        time.sleep(0.05)
    raise AssertionError("no child process")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_killed_process_is_restarted_and_sigterm_stops_everything():
    supervisor = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "config.supervise", *SLEEPER],
        cwd=BASE_DIR,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        first = _wait_for_child(supervisor.pid)
        os.kill(first, signal.SIGKILL)
        second = _wait_for_child(supervisor.pid, other_than=first)
        assert second != first

        supervisor.send_signal(signal.SIGTERM)  # to the supervisor alone, as honcho may
        supervisor.wait(timeout=10)
        assert not _alive(second)
        assert "exited with -9; restarting in 1s" in supervisor.stderr.read()
    finally:
        stop_group(supervisor)


def test_a_supervisor_killed_outright_takes_its_process_with_it():
    supervisor = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "config.supervise", *SLEEPER],
        cwd=BASE_DIR,
        start_new_session=True,
    )
    try:
        child = _wait_for_child(supervisor.pid)
        supervisor.send_signal(signal.SIGKILL)
        supervisor.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)  # PDEATHSIG: no orphan worker keeps running
    finally:
        stop_group(supervisor)
