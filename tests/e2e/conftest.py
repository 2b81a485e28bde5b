"""Fixtures for the end-to-end scenarios: Chromium via Playwright against the live site.

The server under test is the real stack in this process: Django's live server (a
thread, so `settings` overrides and django.core.mail.outbox reach it), the Redis of
the test session, the fake payment provider, eager Celery (emails land in the
outbox), and a turnstile thread that runs the queue admission every half second.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.harness import (
    ARTIFACTS,
    AXE,
    DESKTOP,
    Journey,
    SerializedApp,
    Turnstile,
    db_lock,
    format_findings,
    shares_one_connection,
)

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# How long a Playwright expectation waits before it fails (ms).
EXPECT_TIMEOUT_MS = 10_000

_session = {"ran": 0, "seconds": 0.0, "version": None, "findings": [], "recording": 0.0}


def _chromium_missing_reason() -> str | None:
    if not Path(CHROMIUM).exists() and not shutil.which(CHROMIUM):
        return (
            f"e2e: Chromium not found at {CHROMIUM}; install it with "
            "`apt-get install -y chromium` (.ci/run does) or set E2E_CHROMIUM"
        )
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "e2e: the playwright package is not installed (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _chromium_missing_reason()
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    reason = _chromium_missing_reason()
    if reason:
        terminalreporter.write_line(
            f"{reason} -- the end-to-end scenarios were SKIPPED", yellow=True
        )
    elif _session["ran"]:
        terminalreporter.write_line(
            f"e2e: {_session['ran']} browser scenario(s) on Chromium {_session['version']} "
            f"took {_session['seconds']:.1f}s ({_session['recording']:.1f}s of it screenshots "
            "and axe-core); screenshots in tests/e2e/artifacts/"
        )
        findings = _session["findings"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "a11y-summary.json").write_text(json.dumps(findings, indent=2))
        if AXE is None:
            terminalreporter.write_line(
                "e2e: axe-playwright-python is not installed: NO accessibility check ran",
                yellow=True,
            )
        else:
            by_impact = Counter(f["impact"] for f in findings)
            terminalreporter.write_line(
                "e2e: axe-core findings "
                + (", ".join(f"{n} {impact}" for impact, n in sorted(by_impact.items())) or "none")
                + " (details: tests/e2e/artifacts/a11y-summary.json)"
            )


# --- Browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module.

    Playwright's sync API keeps an asyncio loop running in this thread, which trips
    Django's async-unsafe guard for the ORM calls the scenarios make; the guard is
    lifted only while the browser is alive (the ORM here is used from one thread at
    a time: see harness.db_lock).
    """
    from playwright.sync_api import expect, sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    started = time.monotonic()
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        _session["version"] = chromium.version
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        _session["seconds"] += time.monotonic() - started
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser, site):
    """Factory for isolated browser contexts (one per fan), closed at the end."""
    contexts = []

    def make(**kwargs):
        options = {"viewport": DESKTOP, "base_url": site.url, "locale": "en-US"}
        options.update(kwargs)
        context = browser.new_context(**options)
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


# --- The server under test --------------------------------------------------------------


class Site:
    def __init__(self, live_server, turnstile: Turnstile):
        self.url = live_server.url
        self.live_server = live_server
        self.turnstile = turnstile

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def site(live_server, transactional_db, settings, mailoutbox, request):
    """The live site with the queue turnstile running. Yields a Site (call it with a path)."""
    from django.db import connections

    settings.PAYMENT_PROVIDER = "fake"
    settings.PAYMENT_PROVIDER_FAKE_ALLOWED = True  # the test runner turns DEBUG off
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.QUEUE_PROMOTION_INTERVAL_SECONDS = 1
    settings.QUEUE_ADMIT_PER_MINUTE = 0

    httpd = live_server.thread.httpd
    original_app = httpd.get_app()
    shared = shares_one_connection()
    if shared and not isinstance(original_app, SerializedApp):
        httpd.set_app(SerializedApp(original_app))

    turnstile = Turnstile(
        interval=0.5, shared_connection=connections["default"] if shared else None
    )
    if shared:
        connections["default"].inc_thread_sharing()
    turnstile.start()
    started = time.monotonic()
    try:
        yield Site(live_server, turnstile)
    finally:
        turnstile.stop()
        if shared:
            connections["default"].dec_thread_sharing()
        httpd.set_app(original_app)
        _session["ran"] += 1
        request.node.user_properties.append(("e2e_seconds", time.monotonic() - started))
    if turnstile.errors:
        raise AssertionError(f"queue turnstile failed: {turnstile.errors[0]!r}")


@pytest.fixture
def journey(request):
    """Screenshots + axe-core for one scenario; fails it on serious/critical findings."""
    j = Journey(request.node.name)
    yield j
    j.write_report()
    _session["findings"].extend(j.findings)
    _session["recording"] += j.seconds
    failing = j.failing_findings()
    rep = getattr(request.node, "rep_call", None)
    if failing and (rep is None or rep.passed) and os.environ.get("E2E_A11Y") != "report":
        pytest.fail(
            "accessibility (axe-core, serious/critical) on pages visited:\n"
            + format_findings(failing),
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.when == "call":
        item.rep_call = rep
    return rep


# --- Data ------------------------------------------------------------------------------


@pytest.fixture
def locked():
    """`with locked():` around the scenario's own database work (see harness.db_lock)."""
    return db_lock


@pytest.fixture
def login(site, settings):
    """Sign a user into a browser context without the login form (a real session cookie)."""
    from django.test import Client

    def do(context, user):
        with db_lock():
            client = Client()
            client.force_login(user)
            cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site.url}])

    return do


@pytest.fixture
def concerts(site):
    """The catalogue a fan sees: one concert on sale, one opening later, one sold out."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import ConcertFactory, TicketCategoryFactory

    now = timezone.now()
    with db_lock():
        on_sale = ConcertFactory(
            name="Aurora Skies",
            slug="aurora-skies",
            venue="Royal Albert Hall, London",
            description="A night of synth-pop under the dome.",
            starts_at=now + timedelta(days=21),
            sale_starts_at=now - timedelta(hours=1),
        )
        for order, (name, price, seats) in enumerate(
            [("Standing", "49.00", 40), ("Seated", "79.00", 30), ("VIP", "149.00", 10)]
        ):
            TicketCategoryFactory(
                concert=on_sale, name=name, price=price, total_seats=seats, display_order=order
            )
        later = ConcertFactory(
            name="The Late Owls",
            slug="the-late-owls",
            venue="Barbican Hall, London",
            starts_at=now + timedelta(days=60),
            sale_starts_at=now + timedelta(days=7),
        )
        TicketCategoryFactory(concert=later, name="Stalls", price="39.00", total_seats=50)
        sold_out = ConcertFactory(
            name="Glass Harbour",
            slug="glass-harbour",
            venue="O2 Academy Brixton",
            starts_at=now + timedelta(days=10),
            sale_starts_at=now - timedelta(days=3),
        )
        TicketCategoryFactory(
            concert=sold_out, name="General", price="35.00", total_seats=20, available_seats=0
        )
    return {"on_sale": on_sale, "later": later, "sold_out": sold_out}
