"""The bench's outputs: JSON with every figure, a Markdown summary, a PNG over time."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def targets(results: dict) -> list[tuple[str, str, bool | None]]:
    """The issue's targets, reported (never asserted): (target, measured, met)."""
    rows = {row["route"]: row for row in results["routes"]}
    rush = results["rush"]
    booking_p99 = rush["by_route"].get("hold", {}).get("p99_ms")
    scaling = results["status_scaling"]
    fairness = rush["fairness"]["fairness"]

    def ratio(route: str) -> float | None:
        return rows.get(route, {}).get("rps_ratio_to_minimal")

    return [
        ("status >= 0.75x minimal req/s", f"{ratio('status')}x", _ge(ratio("status"), 0.75)),
        ("join >= 0.6x minimal req/s", f"{ratio('join')}x", _ge(ratio("join"), 0.6)),
        (
            f"status p50 at {scaling['huge_line']:,} waiting <= 1.2x at {scaling['small_line']:,}",
            f"{scaling['p50_ratio']}x",
            None if scaling["p50_ratio"] is None else scaling["p50_ratio"] <= 1.2,
        ),
        ("rush: 0 oversold", str(rush["oversold"]), rush["oversold"] == 0),
        ("rush: 0 responses >= 500", str(rush["responses_5xx"]), rush["responses_5xx"] == 0),
        (
            "rush: every seat sold or released",
            f"{rush['final_seats']['held']} still held",
            rush["every_seat_sold_or_released"],
        ),
        ("rush: fairness >= 99%", f"{fairness}", _ge(fairness, 0.99)),
        (
            "rush: booking (hold) p99 < 500 ms",
            f"{booking_p99} ms",
            None if booking_p99 is None else booking_p99 < 500,
        ),
    ]


def _ge(value: float | None, floor: float) -> bool | None:
    return None if value is None else value >= floor


def _mark(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[met]


def markdown(results: dict) -> str:
    rush = results["rush"]
    purchase = results["purchase"]
    lines = [
        f"# Bench `{results['name']}` ({results['mode']})",
        "",
        f"Finished {results['finished_at']} on {results['machine']['cpus']} CPUs "
        f"({results['machine']['platform']}), load average at the end "
        f"{results['machine']['load_average_at_end']}; {results['stack']['web']}; "
        f"wall clock {results.get('wall_clock_seconds', '?')} s. "
        "Throttle rates raised for the run: "
        + ", ".join(
            f"{k}={v}" for k, v in results["stack"]["settings"].items() if k.startswith("THROTTLE_")
        )
        + ".",
        "",
        "## Routes (wrk, same load for each; ratios to the minimal view in this run)",
        "",
        "| route | req/s | x minimal | p50 ms | p95 ms | p99 ms | status codes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in results["routes"]:
        lines.append(
            f"| {row['route']} | {row['requests_per_second']:.0f} | "
            f"{row.get('rps_ratio_to_minimal', '')} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
            f"{row['p99_ms']:.1f} | {row['codes']} |"
        )
    lines += ["", f"Load: `{results['routes'][0]['tool']}`.", "", "## Access log", ""]
    for route, row in results["access_log"].items():
        lines.append(
            f"- {route}: {row['rps_with_access_log']:.0f} req/s with, "
            f"{row['rps_without_access_log']:.0f} without: share {row['share_of_time']}"
        )
    lines += [
        "",
        "## Purchase throughput",
        "",
        f"{purchase['clients']} clients, a new connection per request, {purchase['seconds']} s: "
        f"**{purchase['holds_per_second']} holds/s**, "
        f"**{purchase['purchases_per_second']} completed purchases/s** "
        f"(hold -> create-intent -> fake pay -> confirm).",
        "",
        "| step | requests | p50 ms | p95 ms | p99 ms | codes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for route, row in purchase["by_route"].items():
        lines.append(
            f"| {route} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} | "
            f"{row['p99_ms']} | {row['codes']} |"
        )
    fairness = rush["fairness"]
    lines += [
        "",
        f"## The rush: {rush['fans']:,} fans, {rush['seats']:,} seats",
        "",
        f"- time to sell out: {rush['time_to_sell_out_s']} s after the sale start",
        f"- seats: {rush['final_seats']['sold']} sold, {rush['final_seats']['held']} held, "
        f"{rush['final_seats']['available']} available of {rush['seats']}; "
        f"oversold {rush['oversold']}; unaccounted {rush['unaccounted_seats']}",
        f"- responses >= 500: {rush['responses_5xx']}; no response: {rush['no_response']}; "
        f"all codes {rush['codes']}",
        f"- fairness: {fairness['fairness']} ({fairness['pairs_in_order']} of "
        f"{fairness['pairs']} consecutive admissions in the server's order)",
        f"- status requests per fan: {rush['status_requests_per_fan']}; "
        f"pre-queue fans: {rush['prequeue_fans']}",
        f"- outcomes: {rush['outcomes']}; fans still waiting at the end: "
        f"{rush['fans_still_waiting_at_end']}",
        "",
        "| route | requests | p50 ms | p95 ms | p99 ms | codes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for route, row in rush["by_route"].items():
        lines.append(
            f"| {route} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} | "
            f"{row['p99_ms']} | {row['codes']} |"
        )
    lines += [
        "",
        "## Targets (reported, not asserted)",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    for target, measured, met in targets(results):
        lines.append(f"| {target} | {measured} | {_mark(met)} |")
    lines += ["", "![the rush over time](latest.png)", ""]
    return "\n".join(lines)


def console_summary(results: dict) -> str:
    return markdown(results).replace("![the rush over time](latest.png)", "")


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rush = results["rush"]
    samples = rush["samples"]
    t = [row["t"] for row in samples]
    fig, axes = plt.subplots(4, 1, figsize=(10, 12), sharex=True)
    axes[0].plot(t, [row["waiting"] for row in samples], label="fans waiting")
    axes[0].plot(t, [row["active"] for row in samples], label="fans active")
    axes[0].set_ylabel("fans")
    axes[1].plot(t, [row["held"] for row in samples], label="seats held")
    axes[1].plot(t, [row["sold"] for row in samples], label="seats sold")
    axes[1].plot(t, [row["available"] for row in samples], label="seats available", ls=":")
    axes[1].set_ylabel("seats")
    timeline = rush["timeline"]
    seconds = [row["t"] for row in timeline]
    route_names = sorted({route for row in timeline for route in row["requests"]})
    for route in route_names:
        axes[2].plot(seconds, [row["requests"].get(route, 0) for row in timeline], label=route)
    axes[2].set_ylabel("requests/s")
    axes[3].plot(seconds, [row["p99_ms"] for row in timeline], label="p99, all routes")
    axes[3].set_ylabel("ms")
    axes[3].set_xlabel("seconds after the sale start")
    for axis in axes:
        axis.axvline(0, color="grey", lw=0.8)
        axis.legend(loc="upper right", fontsize="small")
        axis.grid(alpha=0.3)
    fig.suptitle(f"The rush: {rush['fans']:,} fans, {rush['seats']:,} seats ({results['name']})")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def write(results: dict) -> list[Path]:
    RESULTS.mkdir(exist_ok=True)
    named = RESULTS / f"{results['name']}.json"
    text = json.dumps(results, indent=1)
    named.write_text(text)
    latest = RESULTS / "latest.json"
    latest.write_text(text)
    summary = RESULTS / "latest.md"
    summary.write_text(markdown(results))
    picture = RESULTS / "latest.png"
    plot(results, picture)
    return [named, latest, summary, picture]
