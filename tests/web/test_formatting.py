"""How ISK, times, security and bios read on the pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from killreport.api.pages import formatting
from killreport.api.pages.charts import growth_chart
from killreport.api.pages.images import ImageServer
from killreport.api.pages.sanitizer import sanitize_description


@dataclass(frozen=True)
class SnapshotPoint:
    """A daily snapshot as the growth read layer gives it (day, members, corporations)."""

    day: date
    member_count: int | None
    corporation_count: int | None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_234_567_890.0, "1.23b"),
        (456_700_000.0, "456.7m"),
        (45_600_000_000.0, "45.6b"),
        (9_990_000.0, "9.99m"),
        (12_500.0, "12.5k"),
        (2_000_000_000_000.0, "2.00t"),
        (999.5, "999.50"),
        (0.0, "0.00"),
        (None, "—"),
    ],
)
def test_isk_reads_like_zkillboard(value: float | None, text: str) -> None:
    # given an ISK amount, when formatted, then it is zKillboard's compact notation
    assert formatting.format_isk(value) == text


def test_times_are_eve_time_and_relative() -> None:
    # given a moment and a later now
    moment = datetime(2026, 12, 1, 21, 5, 9, tzinfo=UTC)
    # then EVE time is UTC as players write it, and relative times pick the largest unit
    assert formatting.eve_time(moment) == "2026.12.01 21:05"
    assert formatting.iso_time(moment) == "2026-12-01T21:05:09Z"
    assert formatting.relative_time(moment, moment + timedelta(seconds=30)) == "just now"
    assert formatting.relative_time(moment, moment + timedelta(minutes=1)) == "1 minute ago"
    assert formatting.relative_time(moment, moment + timedelta(hours=5, minutes=59)) == (
        "5 hours ago"
    )
    assert formatting.relative_time(moment, moment + timedelta(days=15)) == "2 weeks ago"
    assert formatting.relative_time(moment, moment - timedelta(minutes=3)) == "in 3 minutes"


@pytest.mark.parametrize(
    ("security", "label", "css"),
    [
        (1.0, "1.0", "sec-10"),
        (0.45, "0.5", "sec-05"),
        (0.44, "0.4", "sec-04"),
        (0.04, "0.1", "sec-01"),
        (0.0, "0.0", "sec-null"),
        (-0.37, "-0.4", "sec-null"),
        (None, "?", "sec-unknown"),
    ],
)
def test_security_shows_as_eve_rounds_it(security: float | None, label: str, css: str) -> None:
    # given a true security status, then the label and colour are of EVE's rounded value
    assert formatting.security_label(security) == label
    assert formatting.security_class(security) == css


def test_image_urls_come_from_the_setting_at_a_served_size() -> None:
    # given an image server base URL
    images = ImageServer("http://images.example")
    # then portraits, logos and renders use it, at twice the shown size (sharp on HiDPI)
    assert images.url("character", 90000001, 64) == (
        "http://images.example/characters/90000001/portrait?size=128"
    )
    assert images.url("alliance", 99000001, 24) == (
        "http://images.example/alliances/99000001/logo?size=64"
    )
    assert images.url("ship", 587, 128) == "http://images.example/types/587/render?size=256"
    assert images.url("corporation", None, 32) is None


def test_bios_keep_formatting_and_lose_scripts() -> None:
    # given an EVE description with client markup, a script and a showinfo link
    bio = (
        '<font size="14" color="#ffffffff"><b>Hello</b></font>'
        '<script>alert(1)</script><a href="showinfo:1377//90000001">me</a>'
        '<a href="https://example.org/x" onclick="evil()">site</a>\nbye'
        "<img src=x onerror=alert(2)>"
    )
    # when sanitised
    html = str(sanitize_description(bio))
    # then bold and web links stay, the script, handlers, image and odd scheme are gone
    assert html == (
        '<b>Hello</b><a rel="nofollow noopener noreferrer">me</a>'
        '<a href="https://example.org/x" rel="nofollow noopener noreferrer">site</a><br>bye'
    )


def test_growth_chart_spans_the_known_days() -> None:
    # given three daily snapshots, one without a member count
    day = datetime(2026, 11, 1, tzinfo=UTC).date()
    points = [
        SnapshotPoint(day, 100, 3),
        SnapshotPoint(day + timedelta(days=1), None, None),
        SnapshotPoint(day + timedelta(days=2), 150, 4),
    ]
    # when charted
    chart = growth_chart(points, 30)
    # then the line runs from the first to the last known day, top = most members
    assert chart is not None
    assert chart.points == "48.0,172.0 628.0,12.0"
    assert chart.y_labels[0][1] == "150" and chart.y_labels[-1][1] == "100"
    assert chart.summary == "Members from 100 on 2026-11-01 to 150 on 2026-11-03"
    assert growth_chart([SnapshotPoint(day, None, None)], 30) is None
