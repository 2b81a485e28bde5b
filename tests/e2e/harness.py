"""The end-to-end harness: the live server, the queue turnstile, screenshots and axe checks.

Kept apart from conftest.py so the scenarios can import its helpers by name.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from django.db import connections

E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS = E2E_DIR / "artifacts"

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# axe-core impacts that fail a scenario. "moderate" and "minor" (heading-order,
# region, landmark-one-main ...) are written to the report but do not fail it:
# they are advice, and some come from markup we do not own (Django's admin).
FAILING_IMPACTS = {"serious", "critical"}

# ---------------------------------------------------------------------------------------
# One database, many threads.
#
# With SQLite the test database lives in memory, and Django's live server hands the
# test thread's one connection to every request thread. One connection used by two
# threads at once interleaves their transactions, so on SQLite every request, every
# turnstile tick and every database read the scenario makes takes DB_LOCK. On
# PostgreSQL each thread has a connection of its own and the lock is never taken.
# ---------------------------------------------------------------------------------------
DB_LOCK = threading.RLock()


def shares_one_connection() -> bool:
    conn = connections["default"]
    return conn.vendor == "sqlite" and conn.is_in_memory_db()


@contextmanager
def db_lock() -> Iterator[None]:
    """Hold while the scenario's own thread touches the database."""
    if shares_one_connection():
        with DB_LOCK:
            yield
    else:
        yield


class SerializedApp:
    """WSGI wrapper: on SQLite a request runs whole (body included) under DB_LOCK."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/static/"):
            return self.app(environ, start_response)
        with DB_LOCK:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()


class Turnstile(threading.Thread):
    """Runs the queue admission every `interval` seconds, as Celery beat would.

    It calls queueing.tasks.admit_all_concerts in-process (the same function beat
    schedules). `pause()` / `resume()` let a scenario line fans up before anyone is let in.
    """

    def __init__(self, interval: float = 0.5, shared_connection=None):
        super().__init__(name="e2e-turnstile", daemon=True)
        self.interval = interval
        self.shared_connection = shared_connection
        self._stop_event = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._tick_lock = threading.Lock()  # pause() waits for a tick in flight
        self.ticks = 0
        self.errors: list[BaseException] = []
        self.missing: str | None = None

    def run(self) -> None:
        if self.shared_connection is not None:
            connections["default"] = self.shared_connection
        try:
            while not self._stop_event.is_set():
                with self._tick_lock:
                    if self._running.is_set():
                        self.tick()
                self._stop_event.wait(self.interval)
        finally:
            if self.shared_connection is None:
                connections.close_all()

    def tick(self) -> None:
        try:
            from queueing.tasks import admit_all_concerts
        except ImportError as exc:  # the waiting room is not built yet
            self.missing = f"queueing.tasks.admit_all_concerts: {exc}"
            return
        try:
            with DB_LOCK if self.shared_connection is not None else nullcontext():
                admit_all_concerts()
            self.ticks += 1
        except Exception as exc:  # kept for the scenario's teardown to report
            if len(self.errors) < 20:
                self.errors.append(exc)

    def pause(self) -> None:
        with self._tick_lock:
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


# ---------------------------------------------------------------------------------------
# Accessibility (axe-core, bundled by the axe-playwright-python wheel: works offline)
# ---------------------------------------------------------------------------------------
try:
    from axe_playwright_python.sync_playwright import Axe

    AXE: Axe | None = Axe()
except ImportError:  # pragma: no cover - the dependency is listed in the dev extras
    AXE = None


def run_axe(page) -> list[dict]:
    """Violations on the page as axe-core reports them (WCAG 2.x A/AA + best practice)."""
    if AXE is None:
        return []
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    return results.response["violations"]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


class Journey:
    """One fan's (or staff member's) path through the site, recorded step by step.

    `step(page, "name")` saves a desktop and a phone screenshot under
    tests/e2e/artifacts/<scenario>/ and runs axe-core on the page. Failing
    accessibility findings are collected and asserted at the end of the scenario
    (so a broken label does not hide whether the purchase itself works).
    """

    def __init__(self, scenario: str, *, phone: bool = True):
        self.scenario = _slug(scenario)
        self.dir = ARTIFACTS / self.scenario
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.phone = phone
        self.count = 0
        self.findings: list[dict] = []
        self.checked: set[str] = set()
        self.seconds = 0.0  # spent on screenshots and axe, for the duration report

    def step(self, page, name: str, *, axe: bool = True, full_page: bool = True) -> Path:
        started = time.monotonic()
        try:
            return self._step(page, name, axe=axe, full_page=full_page)
        finally:
            self.seconds += time.monotonic() - started

    def _step(self, page, name: str, *, axe: bool, full_page: bool) -> Path:
        self.count += 1
        stem = f"{self.count:02d}-{_slug(name)}"
        page.wait_for_load_state("domcontentloaded")
        desktop = self.dir / f"{stem}-desktop.png"
        size = page.viewport_size or DESKTOP
        page.screenshot(path=str(desktop), full_page=full_page, animations="disabled")
        if self.phone:
            page.set_viewport_size(PHONE)
            page.screenshot(
                path=str(self.dir / f"{stem}-phone.png"), full_page=full_page, animations="disabled"
            )
            page.set_viewport_size(size)
        if axe:
            self.check_accessibility(page, name)
        return desktop

    def check_accessibility(self, page, name: str) -> None:
        path = re.sub(r"\d+", "N", page.url.split("?")[0].split("//", 1)[-1].split("/", 1)[-1])
        key = f"{path}|{name}"
        if key in self.checked:
            return
        self.checked.add(key)
        for violation in run_axe(page):
            self.findings.append(
                {
                    "scenario": self.scenario,
                    "step": name,
                    "url": "/" + path,
                    "id": violation["id"],
                    "impact": violation.get("impact"),
                    "help": violation.get("help"),
                    "nodes": [
                        {"target": n.get("target"), "html": n.get("html", "")[:200]}
                        for n in violation.get("nodes", [])[:5]
                    ],
                }
            )

    def failing_findings(self, *, exempt_url_prefixes: tuple[str, ...] = ("/admin/",)) -> list:
        return [
            f
            for f in self.findings
            if f["impact"] in FAILING_IMPACTS and not f["url"].startswith(exempt_url_prefixes)
        ]

    def write_report(self) -> Path:
        report = self.dir / "a11y.json"
        report.write_text(json.dumps(self.findings, indent=2))
        return report


def format_findings(findings: list[dict]) -> str:
    lines = []
    for f in findings:
        targets = "; ".join(" ".join(map(str, n["target"])) for n in f["nodes"])
        lines.append(
            f"  [{f['impact']}] {f['url']} ({f['step']}): {f['id']}: {f['help']} -> {targets}"
        )
    return "\n".join(lines)


def wait_until(predicate: Callable[[], object], *, timeout: float = 10.0, every: float = 0.1):
    """Poll a condition in the test thread (database or Redis), not a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(every)
