"""The apps depend in one direction (docs/architecture.md): this test reads every module's
imports, those inside functions and under TYPE_CHECKING included, and fails on a new arrow."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "config",
    "accounts",
    "concerts",
    "queueing",
    "bookings",
    "payments",
    "checkout",
    "outbox",
    "reports",
    "waitlist",
)

# Which other apps each app may import. `config` holds what every app shares; only its
# wiring (settings, URLs, the Celery app) names the apps.
WIRING = {"urls.py", "site_urls.py", "celery.py", "settings", "settings.py", "launch.py"}
ALLOWED = {
    "config": set(),
    "accounts": {"config"},
    "concerts": {"config"},
    "queueing": {"config", "concerts", "outbox"},
    "bookings": {"config", "accounts", "concerts", "queueing", "outbox"},
    "payments": {"config"},
    "checkout": {"config", "accounts", "concerts", "queueing", "bookings", "payments", "outbox"},
    # The outbox delivers other apps' effects through handlers they register: it knows none.
    "outbox": {"config"},
    # The report after a sale reads every app's records; nothing imports it.
    "reports": {"config", "concerts", "queueing", "bookings", "waitlist"},
    # Offers wait while fans are in the line (queueing.services.queue_has_waiting).
    "waitlist": {"config", "accounts", "concerts", "queueing", "bookings", "outbox"},
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # Dotted paths handed to import_string / Celery, e.g. "bookings.tasks.x".
            # ("bookings.Booking" in a ForeignKey names a model, not a module.)
            parts = node.value.split(".")
            if len(parts) > 2 and " " not in node.value and parts[1].islower():
                names.add(parts[0])
    return names & set(APPS)


def app_modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


@pytest.mark.parametrize("app", [app for app in APPS if (ROOT / app).is_dir()])
def test_app_imports_only_what_it_may(app):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) - ALLOWED[app] - {app})
        for path in app_modules(app)
        if not (app == "config" and WIRING & {path.name, *path.parts})
    }
    assert {module: apps for module, apps in wrong.items() if apps} == {}


def test_payments_never_imports_bookings():
    offenders = [
        str(path.relative_to(ROOT))
        for path in app_modules("payments")
        if "bookings" in imported_apps(path) or "checkout" in imported_apps(path)
    ]
    assert offenders == []
