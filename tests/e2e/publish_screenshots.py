"""Copy a chosen few e2e screenshots into docs/screenshots/ (run the e2e suite first).

    make screenshots            # runs tests/e2e, then this
    python -m tests.e2e.publish_screenshots

Each entry: (scenario folder glob, step file glob, name in docs/screenshots/, caption).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tests.e2e.harness import ARTIFACTS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

CHOSEN = [
    ("test-fan-signs-up*", "*-home-desktop.png", "home-desktop.png", "Home page: what is on sale"),
    ("test-fan-signs-up*", "*-concert-page-phone.png", "concert-phone.png", "A concert on a phone"),
    (
        "test-fan-signs-up*",
        "*-enter-the-emailed-code-phone.png",
        "signup-code-phone.png",
        "Sign-up: the emailed 6-digit code",
    ),
    (
        "test-fan-signs-up*",
        "*-waiting-room-3rd-in-line-desktop.png",
        "waiting-room-desktop.png",
        "Waiting room: place in line, fans ahead, estimated wait",
    ),
    (
        "test-fan-signs-up*",
        "*-waiting-room-it-s-your-turn-phone.png",
        "your-turn-phone.png",
        "Admitted: the slot countdown",
    ),
    (
        "test-fan-signs-up*",
        "*-choose-tickets-desktop.png",
        "choose-tickets-desktop.png",
        "Choosing category and quantity while the slot lasts",
    ),
    (
        "test-declined-card*",
        "*-card-declined-desktop.png",
        "checkout-declined-desktop.png",
        "Checkout with the fake provider: a declined card",
    ),
    (
        "test-fan-signs-up*",
        "*-booking-confirmed-with-tickets-desktop.png",
        "tickets-desktop.png",
        "Confirmed booking with QR-coded tickets",
    ),
    (
        "test-fan-signs-up*",
        "*-my-tickets-phone.png",
        "my-tickets-phone.png",
        "My tickets on a phone",
    ),
    (
        "test-a-hold-that-runs-out*",
        "*-hold-expired-on-the-checkout-page-desktop.png",
        "hold-expired-desktop.png",
        "A hold that ran out",
    ),
    (
        "test-staff-see*",
        "*-admin-concerts-with-sold-counts-desktop.png",
        "admin-concerts-desktop.png",
        "Staff: concerts with sold / held / available",
    ),
    (
        "test-staff-see*",
        "*-check-in-already-used-phone.png",
        "checkin-already-used-phone.png",
        "Check-in: a second scan of the same ticket",
    ),
    (
        "test-a-ticket-is-refused-at-the-wrong*",
        "*-refused-at-the-wrong-concert-s-door-phone.png",
        "door-wrong-concert-phone.png",
        "The door: a ticket for another concert is refused, in large type",
    ),
    (
        "test-a-ticket-is-refused-at-the-wrong*",
        "*-typed-lowercase-code-admitted-desktop.png",
        "door-admitted-desktop.png",
        "The door: a code typed in lowercase is admitted, with undo and live counts",
    ),
    (
        "test-a-fan-abroad*",
        "*-my-tickets-with-order-history-desktop.png",
        "my-tickets-history-desktop.png",
        "My tickets: venue time (and the fan's own), yen, downloads and the order history",
    ),
    (
        "test-a-lost-connection*",
        "*-waiting-room-connection-lost-desktop.png",
        "waiting-room-connection-lost-desktop.png",
        "Waiting room: a lost connection is shown, and the page recovers by itself",
    ),
    (
        "test-the-pre-queue-counts-down*",
        "*-pre-queue-countdown-to-the-sale-phone.png",
        "pre-queue-countdown-phone.png",
        "Pre-queue: a countdown to the sale on the server's clock",
    ),
    (
        "test-fan-resets-a-forgotten-password*",
        "*-choose-a-new-password-phone.png",
        "reset-password-phone.png",
        "Account recovery: choosing a new password from the emailed link",
    ),
    (
        "test-held-seats-pause-the-line*",
        "*-every-seat-left-is-held-desktop.png",
        "line-seats-held-desktop.png",
        "The line says why it is still: every seat left is held by fans paying",
    ),
    (
        "test-a-sell-out-closes-the-line*",
        "*-sold-out-the-waiting-list-offered-phone.png",
        "line-sold-out-phone.png",
        "Sold out: everyone still waiting is told, and offered the waiting list",
    ),
    (
        "test-a-fan-goes-from-sold-out*",
        "*-offer-with-countdown-desktop.png",
        "waitlist-offer-desktop.png",
        "The waiting list: seats offered in list order, for a limited time",
    ),
    (
        "test-a-fan-keeps-a-receipt*",
        "*-the-published-draw-desktop.png",
        "draw-published-desktop.png",
        "The pre-queue draw: commitment, seed, order, and a fan finding their entry",
    ),
    (
        "test-the-browser-solves-the-check*",
        "*-the-browser-check-is-done-phone.png",
        "challenge-done-phone.png",
        "The proof of work at the door, solved by the browser while the fan reads",
    ),
    (
        "test-staff-read-the-report*",
        "*-sale-report-desktop.png",
        "sale-report-desktop.png",
        "Staff: the report after a sale (a simulated one)",
    ),
]


def main() -> int:
    DOCS.mkdir(parents=True, exist_ok=True)
    gallery = ["# Screenshots", "", "Taken by the end-to-end tests (`make screenshots`).", ""]
    missing = []
    for folder, step, name, caption in CHOSEN:
        found = sorted(ARTIFACTS.glob(f"{folder}/{step}"))
        if not found:
            missing.append(f"{folder}/{step}")
            continue
        shutil.copyfile(found[-1], DOCS / name)
        gallery += [f"## {caption}", "", f"![{caption}]({name})", ""]
        print(f"docs/screenshots/{name}  <-  {found[-1].relative_to(ARTIFACTS)}")
    (DOCS / "README.md").write_text("\n".join(gallery))
    if missing:
        print("missing (did those scenarios run and pass?):", *missing, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
