"""How numbers, times and security statuses read on the pages (pure functions, used as filters)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from killreport.killmails.derive import displayed_security

# (threshold, divisor, suffix), largest first: zKillboard's compact ISK notation.
_ISK_UNITS: tuple[tuple[float, float, str], ...] = (
    (1e12, 1e12, "t"),
    (1e9, 1e9, "b"),
    (1e6, 1e6, "m"),
    (1e3, 1e3, "k"),
)

# (seconds per unit, unit name) for relative times, largest first.
_RELATIVE_UNITS: tuple[tuple[int, str], ...] = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def format_isk(value: float | None) -> str:
    """ISK in zKillboard's compact form: 1.23b, 456.7m, 12.5k; an em dash when unknown."""
    if value is None or not math.isfinite(value):
        return "—"
    sign = "-" if value < 0 else ""
    amount = abs(value)
    for threshold, divisor, suffix in _ISK_UNITS:
        if amount >= threshold:
            scaled = amount / divisor
            # Three significant figures, as zKillboard: 1.23b, 45.6b, 456.7m keeps one decimal.
            digits = 2 if scaled < 10 else 1
            return f"{sign}{scaled:.{digits}f}{suffix}"
    return f"{sign}{amount:.2f}"


def format_count(value: int | None) -> str:
    """A whole number with thin thousands separators (12,345)."""
    return "—" if value is None else f"{value:,}"


def eve_time(moment: datetime | None) -> str:
    """EVE time (UTC) as players write it: 2026.12.01 21:45."""
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y.%m.%d %H:%M")


def iso_time(moment: datetime | None) -> str:
    """The machine-readable form for <time datetime=...>."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def relative_time(moment: datetime | None, now: datetime) -> str:
    """How long ago, in the largest whole unit: '3 hours ago', 'just now', 'in 2 minutes'."""
    if moment is None:
        return "—"
    seconds = int((now - moment).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
    for size, unit in _RELATIVE_UNITS:
        if seconds >= size:
            count = seconds // size
            phrase = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {phrase}" if future else f"{phrase} ago"
    raise AssertionError("unreachable: a minute is the smallest unit")


def security_rounded(security: float | None) -> float | None:
    """The status EVE shows (one decimal, half up; 0 < s < 0.05 shows as 0.1)."""
    return None if security is None else displayed_security(security)


def security_label(security: float | None) -> str:
    """The rounded status as text, e.g. '0.5' or '-0.3'."""
    rounded = security_rounded(security)
    return "?" if rounded is None else f"{rounded:.1f}"


def security_class(security: float | None) -> str:
    """A CSS class sec-10 ... sec-00 or sec-null for EVE's security colour scale."""
    rounded = security_rounded(security)
    if rounded is None:
        return "sec-unknown"
    if rounded <= 0.0:
        return "sec-null"
    return f"sec-{round(rounded * 10):02d}"


def percent(part: float, whole: float) -> str:
    """A share as a whole percentage ('37%'); '0%' when the whole is zero."""
    if whole <= 0:
        return "0%"
    return f"{part / whole * 100:.0f}%"
