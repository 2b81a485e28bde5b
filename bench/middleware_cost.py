"""What each middleware, DRF and the fast path cost one request, in-process (CPU time).

    REDIS_URL=redis://127.0.0.1:6379/1 python -m bench.middleware_cost [--calls 3000]

Through Django's test client (no network, no gunicorn), DEBUG off: the minimal JSON view
with the full MIDDLEWARE list and with each middleware left out in turn, then the status
route answered by the fast view (config.fastapi) and by its DRF view with the full stack.
Status reads one Redis key set (an unknown concert: the same script, the same round trip)
and no database row, so nothing but Redis is needed. Writes bench/results/middleware.md.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
ROUNDS = 5
NEEDS_SESSIONS = (
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
)


def cpu_us_per_request(client, path: str, calls: int, **headers: str) -> float:
    for _ in range(calls // 10 + 1):  # warm-up
        client.get(path, **headers)
    started = time.process_time()
    for _ in range(calls):
        client.get(path, **headers)
    return (time.process_time() - started) * 1e6 / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["BENCH_ROUTES"] = "1"
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client, override_settings
    from rest_framework_simplejwt.tokens import AccessToken

    full = list(settings.MIDDLEWARE)
    token = AccessToken()
    token["user_id"] = 1
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    status = "/api/v1/queue/status?concert_id=999999"
    variants: list[tuple[str, dict, str, dict]] = [
        ("minimal view, full stack", {}, "/bench/minimal", {})
    ]
    for middleware in full:
        # Auth and messages need sessions: leaving sessions out leaves them out too.
        left_out = {middleware, *NEEDS_SESSIONS} if middleware == SESSIONS else {middleware}
        names = " + ".join(sorted(m.rsplit(".", 1)[-1] for m in left_out))
        overrides = {"MIDDLEWARE": [m for m in full if m not in left_out]}
        variants.append((f"minimal view without {names}", overrides, "/bench/minimal", {}))
    variants.append(("status, fast view", {}, status, auth))
    variants.append(("status, DRF view, full stack", {"FAST_API_ROUTES": {}}, status, auth))

    clients = []
    for _name, overrides, path, headers in variants:
        with override_settings(**overrides):
            client = Client()
            client.get(path, **headers)  # loads this variant's middleware chain
        clients.append(client)
    # Rounds interleave the variants, and each keeps its best round: on a shared machine
    # the other jobs' noise only ever adds time.
    best = [float("inf")] * len(variants)
    for _round in range(ROUNDS):
        for index, (_name, overrides, path, headers) in enumerate(variants):
            with override_settings(**overrides):
                cost = cpu_us_per_request(clients[index], path, args.calls // ROUNDS, **headers)
            best[index] = min(best[index], cost)
    rows = [(variant[0], cost) for variant, cost in zip(variants, best, strict=True)]

    lines = [
        "# Middleware, DRF and the fast path: CPU per request",
        "",
        f"`python -m bench.middleware_cost --calls {args.calls}` "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, shared machine): "
        "the best of 5 interleaved rounds of this process's CPU time per request through Django's test client (which adds its "
        "own cost to every row alike), DEBUG off.",
        "",
        "| request | CPU us per request | vs full stack |",
        "|---|---:|---:|",
    ]
    base = rows[0][1]
    lines += [f"| {name} | {cost:.0f} | {cost - base:+.0f} |" for name, cost in rows]
    path = RESULTS / "middleware.md"
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
