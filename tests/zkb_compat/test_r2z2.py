"""This board's own R2Z2: the shapes of zKillboard's, and a second board following it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from killreport import container as container_module
from killreport.feeds.r2z2 import FeedConfig, R2Z2Follower
from killreport.settings import Settings
from killreport.zkb.models import R2Z2Entry
from tests.conftest import make_settings
from tests.killmails.corpus import corpus
from tests.zkb_compat.board import served_board, stored_bodies
from tests.zkb_compat.shapes import assert_entry


async def _drain(follower: R2Z2Follower, position: int) -> int:
    while True:
        position, wait_s = await follower.step(position)
        if wait_s > 0:
            return position


async def test_a_second_board_following_our_r2z2_ends_with_the_same_killmails(
    settings: Settings, sqlite_template: Path, tmp_path: Path
) -> None:
    # given a board holding the 108 real killmails, served
    async with served_board(settings) as first:
        other = tmp_path / "second.sqlite3"
        other.write_bytes(sqlite_template.read_bytes())
        second_settings = make_settings(
            database_url=f"sqlite+aiosqlite:///{other}",
            r2z2_url=f"{first.url}/r2z2",
            r2z2_min_interval_s=0.0,
            data_dir=tmp_path,
        )
        # when a second board follows its R2Z2 from the start to the end
        async with container_module.build(second_settings) as second:
            follower = R2Z2Follower(
                second.database,
                second.events,
                second.bus,
                second.r2z2,
                FeedConfig(not_yet_wait_s=0.01, batch_max=25),
            )
            head = await second.r2z2.sequence()
            end = await _drain(follower, await follower.start_position(1))
            copied = await stored_bodies(second.database)
        original = await stored_bodies(first.container.database)
    # then both hold the same killmails: ids, hashes and ESI bodies, key order and all
    assert head == len(corpus()) == len(original)
    assert end == head + 1
    assert copied == original
    real = {int(r["killmail_id"]): r["esi"] for r in corpus()}
    assert {k: body for k, (_hash, body) in copied.items()} == real
    assert all(list(copied[k][1]) == list(real[k]) for k in real)


async def test_entries_sequence_and_history_have_zkillboards_shapes(
    embedded_settings: Settings,
) -> None:
    # given a board holding the 108 real killmails, served
    async with (
        served_board(embedded_settings) as board,
        aiohttp.ClientSession(board.url) as http,
    ):
        # when its sequence, every entry, the entry after the head and a day are read
        async with http.get("/r2z2/ephemeral/sequence.json") as response:
            head = (await response.json())["sequence"]
        entries = []
        for sequence in range(1, head + 1):
            async with http.get(f"/r2z2/ephemeral/{sequence}.json") as response:
                assert response.status == 200
                assert response.headers["Cache-Control"] == "public, max-age=86400"
                entries.append(await response.json())
        async with http.get(f"/r2z2/ephemeral/{head + 1}.json") as response:
            after_head = (response.status, await response.json())
        malformed = []
        for name in ("latest.json", f"{2**64}.json", "0.json"):
            async with http.get(f"/r2z2/ephemeral/{name}") as response:
                malformed.append(response.status)
        first = entries[0]
        day = datetime.strptime(first["esi"]["killmail_time"], "%Y-%m-%dT%H:%M:%SZ")
        async with http.get(f"/r2z2/history/{day:%Y%m%d}.json") as response:
            history = await response.json()
        async with http.get("/r2z2/history/29991231.json") as response:
            future = response.status
        async with http.get("/r2z2/history/totals.json") as response:
            totals = await response.json()
    # then entries are dense by sequence and each has the real samples' shape
    assert head == len(corpus())
    assert [e["sequence_id"] for e in entries] == list(range(1, head + 1))
    assert sorted(e["killmail_id"] for e in entries) == sorted(r["killmail_id"] for r in corpus())
    for entry in entries:
        assert_entry(entry)
        parsed = R2Z2Entry.model_validate(entry)
        assert parsed.zkb.hash == entry["hash"]
        assert parsed.zkb.attacker_count == len(entry["esi"]["attackers"])
        assert entry["zkb"]["href"].endswith(f"/killmails/{parsed.killmail_id}/{parsed.hash}/")
        assert entry["uploaded_at"] <= datetime.now(UTC).timestamp()
    # and one not yet stored is R2Z2's 404; the day lists id -> hash; the future is 404
    assert after_head == (404, {"error": "Not found"})
    assert malformed == [404, 404, 404]
    assert history[str(first["killmail_id"])] == first["hash"]
    same_day = [e for e in entries if e["esi"]["killmail_time"].startswith(f"{day:%Y-%m-%d}")]
    assert history == {str(e["killmail_id"]): e["hash"] for e in same_day}
    assert future == 404
    # and totals.json counts every stored killmail by its day
    assert totals[f"{day:%Y%m%d}"] == len(same_day)
    assert sum(totals.values()) == head
