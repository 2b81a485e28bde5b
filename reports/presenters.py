"""The report's chart as geometry for an inline SVG (no chart library, no script)."""

from __future__ import annotations

from dataclasses import dataclass

from reports.selectors import SaleFigures

CHART_WIDTH = 720
CHART_HEIGHT = 200
AXIS = 24  # room at the bottom for the minute labels


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    admitted_y: float
    admitted_height: float
    purchases_y: float
    purchases_height: float
    label: str  # "19:03 · 40 admitted · 31 purchases", the bar's tooltip


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    top: int  # the scale's maximum
    bars: list[Bar]
    ticks: list[tuple[float, str]]  # (x, "19:03") every few bars


def admissions_chart(figures: SaleFigures, *, timezone_name: str) -> Chart | None:
    """Bars per minute: admissions, with the minute's purchases drawn inside them."""
    from zoneinfo import ZoneInfo

    rows = figures.per_minute
    if not rows:
        return None
    zone = ZoneInfo(timezone_name)
    top = max(max(row.admitted for row in rows), max(row.purchases for row in rows), 1)
    plot = CHART_HEIGHT - AXIS
    step = CHART_WIDTH / len(rows)
    width = max(step * 0.8, 1.0)
    every = max(1, len(rows) // 8)
    bars, ticks = [], []
    for index, row in enumerate(rows):
        x = index * step + (step - width) / 2
        admitted_height = plot * row.admitted / top
        purchases_height = plot * row.purchases / top
        local = row.minute.astimezone(zone).strftime("%H:%M")
        bars.append(
            Bar(
                x=round(x, 2),
                width=round(width, 2),
                admitted_y=round(plot - admitted_height, 2),
                admitted_height=round(admitted_height, 2),
                purchases_y=round(plot - purchases_height, 2),
                purchases_height=round(purchases_height, 2),
                label=f"{local} · {row.admitted} admitted · {row.purchases} purchases",
            )
        )
        if index % every == 0:
            ticks.append((round(x + width / 2, 2), local))
    return Chart(
        width=CHART_WIDTH, height=CHART_HEIGHT, baseline=plot, top=top, bars=bars, ticks=ticks
    )
