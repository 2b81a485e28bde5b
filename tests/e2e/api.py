"""Other fans, driven through the public JSON API (the contract), not the browser.

Scenarios use them to fill the waiting room ahead of the fan in the browser, or to
make a paid booking for staff to find. They talk HTTP to the live server like any
API client, with a JWT for the user.
"""

from __future__ import annotations

import time

from tests.e2e.harness import db_lock

FAKE_CARD_OK = "4242424242424242"
FAKE_CARD_DECLINED = "4000000000000002"


def access_token(user) -> str:
    from rest_framework_simplejwt.tokens import RefreshToken

    with db_lock():
        return str(RefreshToken.for_user(user).access_token)


class ApiFan:
    """One fan's API client (a Playwright APIRequestContext with their bearer token)."""

    def __init__(self, request_context, user):
        self.http = request_context
        self.user = user
        self.headers = {"Authorization": f"Bearer {access_token(user)}"}

    def _call(self, method: str, path: str, data=None, expect: tuple[int, ...] = (200, 201, 204)):
        response = self.http.fetch(
            "/api/v1/" + path, method=method, headers=self.headers, data=data
        )
        if response.status not in expect:
            raise AssertionError(f"{method} {path} -> {response.status}: {response.text()[:300]}")
        return response.json() if response.status != 204 else None

    # Queue
    def join(self, concert_id: int) -> dict:
        return self._call("POST", "queue/join", {"concert_id": concert_id})

    def status(self, concert_id: int) -> dict:
        return self._call("GET", f"queue/status?concert_id={concert_id}")

    def leave(self, concert_id: int) -> None:
        self._call("POST", "queue/leave", {"concert_id": concert_id})

    def wait_until_active(self, concert_id: int, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            state = self.status(concert_id)
            if state["status"] == "active":
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.user.email} not admitted: {state}")
            time.sleep(0.2)

    # Booking and payment
    def book_and_pay(self, *, concert_id: int, category_id: int, quantity: int) -> dict:
        """Queue, hold seats, pay with the fake provider's good card; the confirmed booking."""
        self.join(concert_id)
        self.wait_until_active(concert_id)
        booking = self._call("POST", "booking/", {"category_id": category_id, "quantity": quantity})
        intent = self._call("POST", "payment/create-intent", {"booking_id": booking["id"]})
        self._call(
            "POST",
            f"payment/fake/{intent['payment_intent_id']}/pay",
            {"card_number": FAKE_CARD_OK},
        )
        deadline = time.monotonic() + 10
        while True:
            confirmed = self._call("GET", f"booking/confirmed/{booking['id']}", expect=(200, 404))
            if confirmed and confirmed.get("status") == "confirmed":
                return confirmed
            if time.monotonic() > deadline:
                raise AssertionError(f"booking {booking['reference']} never confirmed")
            time.sleep(0.2)
