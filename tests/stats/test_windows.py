"""Stats windows: UTC calendar days, ISO weeks and months chosen by `at`, rolling windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from killreport.stats.windows import StatsWindow, whole_days, window_bounds

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # a Tuesday


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("window", "at", "expected"),
    [
        (StatsWindow.DAY, None, (utc(2026, 12, 1), utc(2026, 12, 2))),
        (StatsWindow.DAY, date(2026, 2, 28), (utc(2026, 2, 28), utc(2026, 3, 1))),
        (StatsWindow.WEEK, None, (utc(2026, 11, 30), utc(2026, 12, 7))),
        # Sunday belongs to the week that started the Monday before
        (StatsWindow.WEEK, date(2026, 11, 29), (utc(2026, 11, 23), utc(2026, 11, 30))),
        (StatsWindow.WEEK, date(2027, 1, 1), (utc(2026, 12, 28), utc(2027, 1, 4))),
        (StatsWindow.MONTH, None, (utc(2026, 12, 1), utc(2027, 1, 1))),
        (StatsWindow.MONTH, date(2024, 2, 29), (utc(2024, 2, 1), utc(2024, 3, 1))),
        (StatsWindow.MONTH, date(2026, 1, 31), (utc(2026, 1, 1), utc(2026, 2, 1))),
        (StatsWindow.LAST_7_DAYS, None, (utc(2026, 11, 24, 12), None)),
        (StatsWindow.LAST_90_DAYS, None, (utc(2026, 9, 2, 12), None)),
        (StatsWindow.ALL_TIME, None, (None, None)),
    ],
)
def test_window_bounds_are_utc_and_half_open(
    window: StatsWindow, at: date | None, expected: tuple[datetime | None, datetime | None]
) -> None:
    # given a window and maybe a day in it; when bounded; then the UTC bounds are these
    assert window_bounds(window, at, NOW) == expected


def test_today_is_the_utc_day_whatever_the_zone_of_now() -> None:
    # given 2026-12-01 23:30 in UTC-05:00, which is 2026-12-02 04:30 UTC
    now = datetime(2026, 12, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    # when today's DAY is bounded, then it is the UTC day
    assert window_bounds(StatsWindow.DAY, None, now) == (utc(2026, 12, 2), utc(2026, 12, 3))
    # and rolling windows end now, in UTC
    assert window_bounds(StatsWindow.LAST_7_DAYS, None, now)[0] == utc(2026, 11, 25, 4, 30)


def test_only_calendar_windows_and_all_time_are_whole_days() -> None:
    assert whole_days(StatsWindow.WEEK, None, NOW) == (date(2026, 11, 30), date(2026, 12, 7))
    assert whole_days(StatsWindow.ALL_TIME, None, NOW) == (None, None)
    assert whole_days(StatsWindow.LAST_7_DAYS, None, NOW) is None
    assert whole_days(StatsWindow.LAST_90_DAYS, None, NOW) is None


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        window_bounds(StatsWindow.DAY, None, datetime(2026, 12, 1))
