"""The rush: F fans for S seats, played as the real pages behave (asyncio + aiohttp).

Every fan joins (those arriving before the sale land in the pre-queue), polls the status
when the answer says (`poll_after_seconds`, already jittered, as static/queueing/room.js
does), books when
admitted (a random category, 1-4 seats), creates the payment intent, pays with the fake
provider and confirms. A share abandons the hold, a share lets it expire, a share is
declined once and pays again. Also the purchase throughput: 16 clients, a new
connection per request.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


def poll_delay_seconds(state: dict, rng: random.Random | None = None) -> float | None:
    """When room.js polls again after this state: the server's hint (already jittered);
    without one (an older server) the page's former fixed rule, jittered here."""
    if state.get("status") not in {"waiting", "active"}:
        return None
    hint = state.get("poll_after_seconds")
    if isinstance(hint, int | float) and hint > 0:
        return float(hint)
    base = fixed_poll_delay_seconds(state)
    return None if base is None else jitter(base, rng or random.Random())


def fixed_poll_delay_seconds(state: dict) -> float | None:
    """room.js's rule before the poll hint: the next poll after this state, before jitter."""
    if state.get("status") == "active":
        return 15.0
    if state.get("status") == "waiting":
        position = state.get("position")
        if position is None:
            return 10.0  # pre-queue
        if position <= 50:
            return 2.5
        if position <= 1000:
            return 5.0
        return 10.0
    return None


def jitter(seconds: float, rng: random.Random) -> float:
    return seconds * (0.8 + rng.random() * 0.4)  # room.js's fallback: +-20 %


@dataclass
class Recorder:
    """Every request: (route, start offset s, latency ms, status); status 0 = no response."""

    started: float = field(default_factory=time.monotonic)
    samples: list[tuple[str, float, float, int]] = field(default_factory=list)

    def add(self, route: str, start: float, status: int) -> None:
        now = time.monotonic()
        self.samples.append((route, start - self.started, (now - start) * 1000, status))


class Api:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, recorder: Recorder):
        self.session = session
        self.base_url = base_url
        self.recorder = recorder

    async def call(
        self, route: str, method: str, path: str, token: str, body: dict | None = None
    ) -> tuple[int, dict]:
        start = time.monotonic()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            async with self.session.request(
                method, self.base_url + path, json=body, headers=headers
            ) as response:
                payload = await response.json(content_type=None) if response.status != 204 else {}
                self.recorder.add(route, start, response.status)
                return response.status, payload or {}
        except (aiohttp.ClientError, TimeoutError):
            self.recorder.add(route, start, 0)
            return 0, {}


# --- purchase throughput -------------------------------------------------------------------
async def purchase(api: Api, token: str, category_id: int, rng: random.Random) -> tuple[bool, bool]:
    """hold -> create-intent -> fake pay -> confirm; returns (held, purchased)."""
    status, booking = await api.call(
        "hold", "POST", "/api/v1/booking/", token, {"category_id": category_id, "quantity": 1}
    )
    if status != 201:
        return False, False
    status, intent = await api.call(
        "create_intent",
        "POST",
        "/api/v1/payment/create-intent",
        token,
        {"booking_id": booking["id"]},
    )
    if status != 201:
        return True, False
    intent_id = intent["payment_intent_id"]
    status, _ = await api.call(
        "fake_pay",
        "POST",
        f"/api/v1/payment/fake/{intent_id}/pay",
        token,
        {"card_number": GOOD_CARD},
    )
    if status != 200:
        return True, False
    status, _ = await api.call(
        "confirm",
        "PATCH",
        f"/api/v1/booking/{booking['id']}/confirm",
        token,
        {"payment_intent_id": intent_id},
    )
    return True, status == 200


async def purchase_throughput(
    base_url: str, tokens: list[str], category_id: int, *, clients: int, seconds: float
) -> dict:
    """`clients` concurrent buyers, each request on a new connection, for `seconds`."""
    recorder = Recorder()
    pool = list(tokens)
    held = purchased = 0
    rng = random.Random(7)
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:
        api = Api(session, base_url, recorder)

        async def buyer() -> None:
            nonlocal held, purchased
            while time.monotonic() < deadline and pool:
                was_held, done = await purchase(api, pool.pop(), category_id, rng)
                held += was_held
                purchased += done

        started = time.monotonic()
        await asyncio.gather(*(buyer() for _ in range(clients)))
        elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "new_connection_per_request": True,
        "holds": held,
        "purchases": purchased,
        "holds_per_second": round(held / elapsed, 1),
        "purchases_per_second": round(purchased / elapsed, 1),
        "fans_left_unused": len(pool),
        "by_route": summarize(recorder.samples),
    }


# --- the rush -------------------------------------------------------------------------------
@dataclass
class Behaviour:
    """Shares of admitted fans that do something else than pay at once."""

    abandon: float = 0.06  # DELETE the pending booking
    expire: float = 0.06  # walk away, the hold expires
    declined: float = 0.08  # a declined card first, then a good one


@dataclass
class FanLog:
    joined_at: float | None = None
    prequeue: bool = False
    admitted_at: float | None = None
    # unfinished (still waiting, or mid-purchase when the run ended) | bought | abandoned |
    # expired | sold_out | lost | error
    outcome: str = "unfinished"
    status_polls: int = 0
    # The admission as the server stamped it (active_until - QUEUE_SLOT_SECONDS, wall clock)
    # and when this fan's answer said "active": their difference is the notice latency.
    admitted_wall: float | None = None
    noticed_wall: float | None = None
    stopped_waiting_at: float | None = None  # admitted, lost, or the run ended
    status_seconds: float = 0.0  # spent waiting for status answers


@dataclass
class RushPlan:
    fans: list  # bench.fixtures.Fan
    concert_id: int
    category_ids: list[int]
    sale_start: float  # time.monotonic() of the sale start
    prequeue_share: float
    arrival_before: float  # seconds before the sale over which pre-queue fans arrive
    arrival_after: float  # seconds after the sale over which the others arrive
    behaviour: Behaviour
    slot_seconds: int = 60  # QUEUE_SLOT_SECONDS: admission = active_until - slot


async def play_fan(api: Api, fan, plan: RushPlan, log: FanLog, rng: random.Random) -> None:
    token = fan.token
    if rng.random() < plan.prequeue_share:
        arrival = plan.sale_start - rng.random() * plan.arrival_before
    else:
        arrival = plan.sale_start + rng.random() * plan.arrival_after
    await asyncio.sleep(max(0.0, arrival - time.monotonic()))
    concert = {"concert_id": plan.concert_id}
    status, state = await api.call("join", "POST", "/api/v1/queue/join", token, concert)
    if status == 409:  # sold out (or the sale not open): the page says so and stops
        log.outcome = "sold_out"
        return
    if status != 200:
        log.outcome = "error"
        return
    log.joined_at = time.monotonic()
    log.prequeue = state.get("status") == "waiting" and state.get("position") is None
    try:
        while state.get("status") != "active":
            delay = poll_delay_seconds(state, rng)
            if delay is None:
                log.outcome = "lost"  # the place was lost (e.g. silent too long)
                return
            await asyncio.sleep(delay)
            asked = time.monotonic()
            status, polled = await api.call(
                "status", "GET", f"/api/v1/queue/status?concert_id={plan.concert_id}", token
            )
            log.status_polls += 1
            log.status_seconds += time.monotonic() - asked
            if status == 200:
                state = polled
    finally:  # also when the run ends (cancelled) with the fan still waiting
        log.stopped_waiting_at = time.monotonic()
    log.admitted_at = time.monotonic()
    log.noticed_wall = time.time()
    if state.get("active_until"):
        active_until = datetime.fromisoformat(state["active_until"].replace("Z", "+00:00"))
        log.admitted_wall = active_until.timestamp() - plan.slot_seconds
    await book_and_pay(api, token, plan, log, rng)


async def book_and_pay(api: Api, token: str, plan: RushPlan, log: FanLog, rng) -> None:
    categories = list(plan.category_ids)
    rng.shuffle(categories)
    quantity = rng.randint(1, 4)
    booking = None
    for category_id in categories:  # the first choice sold out: the next category, fewer seats
        while quantity >= 1:
            status, body = await api.call(
                "hold",
                "POST",
                "/api/v1/booking/",
                token,
                {"category_id": category_id, "quantity": quantity},
            )
            if status == 201:
                booking = body
                break
            if status != 409:
                break
            quantity = quantity // 2
        if booking:
            break
        quantity = 1
    concert = {"concert_id": plan.concert_id}
    if booking is None:
        log.outcome = "admitted, nothing left"  # every category and quantity refused
        await api.call("leave", "POST", "/api/v1/queue/leave", token, concert)
        return
    roll = rng.random()
    b = plan.behaviour
    if roll < b.abandon:
        log.outcome = "abandoned"
        await api.call("cancel_hold", "DELETE", "/api/v1/booking/pending", token)
        await api.call("leave", "POST", "/api/v1/queue/leave", token, concert)
        return
    if roll < b.abandon + b.expire:
        log.outcome = "expired"
        return
    status, intent = await api.call(
        "create_intent",
        "POST",
        "/api/v1/payment/create-intent",
        token,
        {"booking_id": booking["id"]},
    )
    if status != 201:
        log.outcome = "error"
        return
    intent_id = intent["payment_intent_id"]
    pay_path = f"/api/v1/payment/fake/{intent_id}/pay"
    if roll < b.abandon + b.expire + b.declined:
        await api.call("fake_pay", "POST", pay_path, token, {"card_number": DECLINED_CARD})
        await asyncio.sleep(rng.uniform(1, 3))  # types the card number again
    await asyncio.sleep(rng.uniform(0.5, 2))  # fills the card form
    status, _ = await api.call("fake_pay", "POST", pay_path, token, {"card_number": GOOD_CARD})
    if status != 200:
        log.outcome = "error"
        return
    status, _ = await api.call(
        "confirm",
        "PATCH",
        f"/api/v1/booking/{booking['id']}/confirm",
        token,
        {"payment_intent_id": intent_id},
    )
    log.outcome = "bought" if status == 200 else "error"


# --- figures ---------------------------------------------------------------------------------
def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values) + 0.5) - 1))
    return round(sorted_values[index], 2)


def summarize(samples: list[tuple[str, float, float, int]]) -> dict:
    """Per route: requests, percentiles (ms) over the answered ones, status codes."""
    by_route: dict[str, list] = {}
    for route, _start, latency, status in samples:
        by_route.setdefault(route, []).append((latency, status))
    summary = {}
    for route, rows in sorted(by_route.items()):
        latencies = sorted(latency for latency, status in rows if status)
        codes = Counter(str(status) for _latency, status in rows)
        summary[route] = {
            "requests": len(rows),
            "p50_ms": percentile(latencies, 0.50),
            "p95_ms": percentile(latencies, 0.95),
            "p99_ms": percentile(latencies, 0.99),
            "max_ms": round(latencies[-1], 2) if latencies else 0.0,
            "codes": dict(sorted(codes.items())),
        }
    return summary


def polling_figures(logs: list[FanLog], *, fixed_interval: float = 10.0, front: int = 100) -> dict:
    """Status requests per fan against fixed `fixed_interval` polling over the same waits,
    and how long admitted fans took to notice (the first `front` admitted, and all).

    A fixed poller also waits for each answer before it sleeps again, so over a wait W it
    sends W / (interval + mean answer time) requests: the comparison is fair under load."""
    waited = [
        log.stopped_waiting_at - log.joined_at
        for log in logs
        if log.joined_at is not None and log.stopped_waiting_at is not None
    ]
    polls = sum(log.status_polls for log in logs if log.joined_at is not None)
    answer_seconds = sum(log.status_seconds for log in logs) / polls if polls else 0.0
    fixed = sum(seconds / (fixed_interval + answer_seconds) for seconds in waited)
    admitted = sorted(
        (log for log in logs if log.admitted_wall is not None and log.noticed_wall is not None),
        key=lambda log: log.admitted_wall,
    )

    def latencies(rows: list[FanLog]) -> dict:
        values = sorted(max(0.0, log.noticed_wall - log.admitted_wall) for log in rows)
        return {
            "fans": len(values),
            "p50_s": percentile(values, 0.50),
            "p99_s": percentile(values, 0.99),
            "max_s": round(values[-1], 2) if values else None,
        }

    return {
        "status_requests_per_fan": round(polls / len(waited), 2) if waited else None,
        "mean_status_answer_s": round(answer_seconds, 3),
        f"fixed_{fixed_interval:g}s_polling_requests_per_fan": round(fixed / len(waited), 2)
        if waited
        else None,
        "fewer_status_requests_than_fixed_polling": round(fixed / polls, 2) if polls else None,
        "admission_notice": {
            f"first_{front}_admitted": latencies(admitted[:front]),
            "all_admitted": latencies(admitted),
        },
    }


def timeline(samples: list[tuple[str, float, float, int]], offset: float) -> list[dict]:
    """Per second (from `offset`, the sale start): responses by route and the p99 of all.

    Bucketed by when the answer arrived, so the rate is what the server delivered."""
    seconds: dict[int, list] = {}
    for route, start, latency, _status in samples:
        seconds.setdefault(int(start + latency / 1000 - offset), []).append((route, latency))
    rows = []
    for second in sorted(seconds):
        entries = seconds[second]
        latencies = sorted(latency for _route, latency in entries)
        rows.append(
            {
                "t": second,
                "requests": dict(Counter(route for route, _latency in entries)),
                "p99_ms": percentile(latencies, 0.99),
            }
        )
    return rows
