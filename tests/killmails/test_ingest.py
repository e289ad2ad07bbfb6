"""The one ingest path on both deployments: exact round trip, duplicates, rejections, events."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from killreport import container as container_module
from killreport.cli.main import app
from killreport.db.tables import DailyEntityCounter, Item, Killmail
from killreport.events.contracts import KillmailCreated
from killreport.killmails import repository
from killreport.killmails.models import Rejection
from killreport.killmails.parse import parse_envelope
from killreport.killmails.service import ingest_batch
from killreport.settings import Settings
from tests.killmails.corpus import corpus, daily_prices, everef_line


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("KILLREPORT_DATABASE_URL", settings.database_url)
    for name, value in (("BROKER_URL", settings.broker_url), ("REDIS_URL", settings.redis_url)):
        if value:
            monkeypatch.setenv(f"KILLREPORT_{name}", value)
        else:
            monkeypatch.delenv(f"KILLREPORT_{name}", raising=False)
    monkeypatch.setenv("KILLREPORT_LOG_LEVEL", "WARNING")


def test_import_then_show_esi_gives_back_every_body_exactly(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # given the 108 real killmails as EVE Ref JSON Lines
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(everef_line(r)) + "\n" for r in corpus()))
    _env(monkeypatch, settings)
    # when imported and shown through the CLI
    app(["import", str(path), "--quiet"], result_action="return_value")
    capsys.readouterr()
    for row in corpus():
        app(["killmail", "show", str(row["killmail_id"]), "--esi"], result_action="return_value")
        shown = json.loads(capsys.readouterr().out)
        # then the ESI body comes back: same keys, same order, same values
        assert shown == row["esi"], row["killmail_id"]
        assert list(shown) == list(row["esi"])
        assert list(shown["victim"]) == list(row["esi"]["victim"])


async def test_duplicates_are_no_ops_and_counters_count_once(settings: Settings) -> None:
    killmails = [parse_envelope(everef_line(r), source="test") for r in corpus()[:30]]
    async with container_module.build(settings) as container:
        async with container.database.transaction() as session:
            await repository.store_prices(session, list(daily_prices()))
        # when the same killmails arrive twice, and again reordered
        first = await ingest_batch(container.database, container.events, killmails)
        async with container.database.transaction() as session:
            counters = (await session.execute(select(DailyEntityCounter))).scalars().all()
            before = sorted(
                (c.entity_kind, c.entity_id, c.day, c.kills, c.losses, c.isk_lost) for c in counters
            )
        second = await ingest_batch(container.database, container.events, killmails[::-1])
        async with container.database.transaction() as session:
            counters = (await session.execute(select(DailyEntityCounter))).scalars().all()
            after = sorted(
                (c.entity_kind, c.entity_id, c.day, c.kills, c.losses, c.isk_lost) for c in counters
            )
            sequences = (await session.execute(select(Killmail.sequence))).scalars().all()
    # then nothing changed the second time, and sequences are dense
    assert len(first.created) == 30 and not first.duplicates
    assert not second.created and len(second.duplicates) == 30
    assert before == after
    assert sorted(sequences) == list(range(1, 31))
    # and the victim of 435341 lost one ship worth its value that day
    victim = next(c for c in before if c[0] == "character" and c[1] == 985810621)
    assert (victim[3], victim[4], victim[5]) == (0, 1, pytest.approx(96_099_900.47))


async def test_rejected_killmails_are_reported_and_the_rest_stored(settings: Settings) -> None:
    good = [parse_envelope(everef_line(r), source="test") for r in corpus()[:3]]
    rejected = [Rejection(None, "bad JSON: unexpected end", "x.jsonl:4")]
    async with container_module.build(settings) as container:
        result = await ingest_batch(container.database, None, good, rejected=rejected)
        async with container.database.transaction() as session:
            stored = await session.scalar(select(func.count()).select_from(Killmail))
    assert stored == 3
    assert result.rejected == tuple(rejected)


async def test_killmail_created_is_published_after_commit(settings: Settings) -> None:
    row = next(r for r in corpus() if r["killmail_id"] == 435341)
    killmail = parse_envelope(everef_line(row), source="test")
    async with container_module.build(settings) as container:
        async with container.events.subscribe(KillmailCreated.name) as events:
            await asyncio.sleep(0.05)  # Redis: let SUBSCRIBE land before publishing
            result = await ingest_batch(container.database, container.events, [killmail])
            event = await asyncio.wait_for(anext(events), timeout=5)
        async with container.database.transaction() as session:
            items = await session.scalar(select(func.count()).select_from(Item))
    assert event.killmail_id == 435341
    assert event.sequence == result.created[0][1]
    assert event.solar_system_id == 30002691
    assert event.victim_character_id == 985810621
    assert event.attacker_character_ids == (133487129, 801670853, 834178711, 1960380705)
    assert items == 14
    # and the entities the database lacks are reported for the info queues
    assert 985810621 in result.missing.ids["character"]
    assert 644 in result.missing.ids["type"]
    # named as universe.specs names the kind, so the info queue knows what it gets
    assert result.missing.ids["solar_system"] == frozenset({30002691})
