"""Route throughput side by side: wrk on the baselines, status, join and hold.

Every route is loaded the same way (wrk, same threads, connections and duration); the
authenticated ones rotate through many fans' tokens (bench/wrk/route.lua). The figures
that matter are the ratios to the minimal view measured in the same run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "wrk" / "route.lua"


@dataclass(frozen=True)
class LoadShape:
    threads: int
    connections: int
    seconds: int


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        from bench.stack import BenchSetupError

        raise BenchSetupError("wrk is not installed (Debian: apt-get install -y wrk)")
    return wrk


def run_wrk(
    base_url: str,
    *,
    name: str,
    path: str,
    shape: LoadShape,
    method: str = "GET",
    body: dict | None = None,
    tokens: list[str] | None = None,
) -> dict:
    """One wrk run; returns requests/s, percentiles (ms) and status codes."""
    env = {
        **os.environ,
        "BENCH_THREADS": str(shape.threads),
        "BENCH_METHOD": method,
        "BENCH_PATH": path,
        "BENCH_BODY": json.dumps(body) if body is not None else "",
        "BENCH_TOKENS": "",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".tokens", delete=False) as token_file:
        if tokens:
            token_file.write("\n".join(tokens) + "\n")
            env["BENCH_TOKENS"] = token_file.name
    try:
        completed = subprocess.run(
            [
                require_wrk(),
                f"-t{shape.threads}",
                f"-c{shape.connections}",
                f"-d{shape.seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(LUA),
                base_url + path,
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=shape.seconds + 60,
        )
    finally:
        os.unlink(token_file.name)
    line = next(
        (row for row in completed.stdout.splitlines() if row.startswith("BENCH_JSON ")), None
    )
    if line is None:
        raise RuntimeError(f"wrk printed no summary for {name}: {completed.stdout[-500:]}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds = raw["duration_us"] / 1e6
    codes = {str(code): count for code, count in sorted(raw["codes"].items())}
    return {
        "route": name,
        "method": method,
        "path": path,
        "tool": f"wrk -t{shape.threads} -c{shape.connections} -d{shape.seconds}s",
        "requests": raw["requests"],
        "requests_per_second": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "codes": codes,
        "errors_5xx": sum(n for code, n in codes.items() if code.startswith("5")),
        "socket_errors": raw["socket_errors"],
        "tokens": len(tokens or []),
        "tokens_reused": raw["token_wraps"] > 0,
    }


def with_ratios(rows: list[dict], baseline: str = "minimal") -> list[dict]:
    """Each row's requests/s and p50 against the baseline's, in the same run."""
    base = next(row for row in rows if row["route"] == baseline)
    for row in rows:
        if base["requests_per_second"]:
            row["rps_ratio_to_minimal"] = round(
                row["requests_per_second"] / base["requests_per_second"], 3
            )
        if base["p50_ms"]:
            row["p50_ratio_to_minimal"] = round(row["p50_ms"] / base["p50_ms"], 3)
    return rows
