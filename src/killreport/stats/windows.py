"""Stats windows: calendar DAY, WEEK, MONTH (with `at` choosing which), rolling and all time.

Every bound is an aware UTC datetime and every window half-open, [since, until); a
bound of None is open. Calendar windows start and end at UTC midnight, so the daily
counters can answer them; rolling windows end now.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

Bounds = tuple[datetime | None, datetime | None]


class StatsWindow(StrEnum):
    """The periods stats, top lists and leaderboards are computed over."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    LAST_7_DAYS = "LAST_7_DAYS"
    LAST_90_DAYS = "LAST_90_DAYS"
    ALL_TIME = "ALL_TIME"


ROLLING_DAYS = {StatsWindow.LAST_7_DAYS: 7, StatsWindow.LAST_90_DAYS: 90}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def window_days(window: StatsWindow, at: date | None, now: datetime) -> tuple[date, date] | None:
    """[first day, day after the last) of a calendar window, or None for the others."""
    day = at if at is not None else now.astimezone(UTC).date()
    if window is StatsWindow.DAY:
        return day, day + timedelta(days=1)
    if window is StatsWindow.WEEK:
        # ISO weeks, Monday to Sunday, as EVE's weekly boards count them.
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=7)
    if window is StatsWindow.MONTH:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following
    return None


def window_bounds(window: StatsWindow, at: date | None, now: datetime) -> Bounds:
    """The window's [since, until) in UTC; `at` picks the DAY, WEEK or MONTH holding it."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    days = window_days(window, at, now)
    if days is not None:
        return _midnight(days[0]), _midnight(days[1])
    rolling = ROLLING_DAYS.get(window)
    if rolling is not None:
        return now.astimezone(UTC) - timedelta(days=rolling), None
    return None, None


def whole_days(
    window: StatsWindow, at: date | None, now: datetime
) -> tuple[date | None, date | None] | None:
    """The window as [first day, end day) when it is made of whole UTC days, else None.

    ALL_TIME is whole days with both ends open; rolling windows start mid-day.
    """
    if window is StatsWindow.ALL_TIME:
        return None, None
    return window_days(window, at, now)
