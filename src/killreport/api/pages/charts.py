"""Member-count growth as a server-rendered SVG line chart (readable without JavaScript)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Protocol

WIDTH: Final = 640
HEIGHT: Final = 200
PAD_LEFT: Final = 48
PAD_RIGHT: Final = 12
PAD_TOP: Final = 12
PAD_BOTTOM: Final = 28


class GrowthPoint(Protocol):
    """One day's snapshot: the day and the member count (None when unknown)."""

    @property
    def day(self) -> date: ...

    @property
    def member_count(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Chart:
    """What the SVG template draws: the line, the axis labels, and a text summary."""

    width: int
    height: int
    points: str
    y_labels: tuple[tuple[float, str], ...]
    x_labels: tuple[tuple[float, str], ...]
    summary: str
    days: int


def growth_chart(points: Sequence[GrowthPoint], days: int) -> Chart | None:
    """The chart of the known member counts; None when no day has one."""
    known = [(p.day, p.member_count) for p in points if p.member_count is not None]
    if not known:
        return None
    known.sort()
    counts = [count for _, count in known]
    low, high = min(counts), max(counts)
    if low == high:
        low, high = max(low - 1, 0), high + 1
    first_day, last_day = known[0][0], known[-1][0]
    span_days = max((last_day - first_day).days, 1)
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(day: date) -> float:
        return PAD_LEFT + (day - first_day).days / span_days * inner_w

    def y(count: int) -> float:
        return PAD_TOP + (1 - (count - low) / (high - low)) * inner_h

    line = " ".join(f"{x(day):.1f},{y(count):.1f}" for day, count in known)
    y_labels = tuple((y(value), f"{value:,}") for value in (high, (high + low) // 2, low))
    x_labels = ((x(first_day), first_day.isoformat()), (x(last_day), last_day.isoformat()))
    summary = (
        f"Members from {known[0][1]:,} on {first_day.isoformat()} "
        f"to {known[-1][1]:,} on {last_day.isoformat()}"
    )
    return Chart(WIDTH, HEIGHT, line, y_labels, x_labels, summary, days)
