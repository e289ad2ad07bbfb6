"""zKillboard's `padding`: the same victim, final blow and ship seen twice in 15 minutes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from killreport.db.engine import Database
from killreport.db.tables import Killmail
from killreport.jobs.imports import import_paths
from killreport.killmails.parse import parse_envelope
from killreport.killmails.service import ingest_batch
from tests.killmails.corpus import corpus, everef_line

# A real solo kill: victim 95451866 in ship 602, final blow 92557813, 2015-04-02 09:40.
SOLO_KILL = 45683367


def _copies(minutes: list[int], first_id: int) -> list[dict[str, Any]]:
    """The real kill again with fresh ids, at these minutes past 09:30 the same day."""
    line = everef_line(next(r for r in corpus() if r["killmail_id"] == SOLO_KILL))
    return [
        {**line, "killmail_id": first_id + n, "killmail_time": f"2015-04-02T09:{30 + m:02d}:00Z"}
        for n, m in enumerate(minutes)
    ]


async def _labels(database: Database) -> dict[int, list[str]]:
    async with database.transaction() as session:
        rows = await session.execute(select(Killmail.killmail_id, Killmail.labels))
        return {killmail_id: list(labels) for killmail_id, labels in rows}


async def test_the_third_identical_kill_in_15_minutes_is_padding_and_not_pvp(
    database: Database,
) -> None:
    # given two copies of a solo kill stored in the same quarter hour (09:30-09:45)
    first = [parse_envelope(d, source="test") for d in _copies([1, 2], 900_000_001)]
    await ingest_batch(database, None, first)
    # when a third and fourth come in the same quarter, and a fifth in the next one
    later = [parse_envelope(d, source="test") for d in _copies([3, 14, 16], 900_000_011)]
    await ingest_batch(database, None, later)
    # then the first two are plain solo pvp kills, the third and fourth padding without pvp,
    # and the fifth (another quarter hour) plain again
    labels = await _labels(database)
    plain = ["tz:au", "cat:6", "solo", "pvp", "loc:lowsec"]
    padded = ["tz:au", "padding", "cat:6", "solo", "loc:lowsec"]
    assert [labels[i] for i in (900_000_001, 900_000_002)] == [plain, plain]
    assert [labels[i] for i in (900_000_011, 900_000_012)] == [padded, padded]
    assert labels[900_000_013] == plain


async def test_an_import_marks_padding_within_one_batch(database: Database, tmp_path: Path) -> None:
    # given a JSON Lines file with three copies of a kill in one quarter hour
    path = tmp_path / "padded.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in _copies([0, 5, 10], 900_000_021)))
    # when imported (one batch, laid out by a preparer process)
    summary = await import_paths(database, None, None, [path], check_missing=False)
    # then only the third is padding
    assert summary.new == 3
    labels = await _labels(database)
    assert ["padding" in labels[900_000_021 + n] for n in range(3)] == [False, False, True]
    assert "pvp" not in labels[900_000_023]
