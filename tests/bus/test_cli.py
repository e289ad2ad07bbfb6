"""`killreport status --json` and `killreport purge` against a real deployment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from killreport.bus.contracts import (
    ESI_ALLIANCE_INFO_QUEUE,
    ESI_USER_KILLMAILS_QUEUE,
    PRIORITY_LOGIN,
    QUEUES,
    EntityIdsMessage,
    UserKillmailsMessage,
)
from killreport.cli.purge import purge
from killreport.container import Container
from killreport.settings import Settings
from tests.bus.test_crash import ROOT, worker_env
from tests.conftest import BACKENDS

KILLREPORT = str(Path(sys.executable).with_name("killreport"))


def killreport(settings: Settings, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI with the test's settings."""
    return subprocess.run(
        [KILLREPORT, *args], cwd=ROOT, env=worker_env(settings), capture_output=True, timeout=60
    )


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_status_reports_queues_and_dead_letters_then_purge_empties(
    container: Container, settings: Settings
) -> None:
    # given 3 alliance messages, one of them dead-lettered, and 2 user syncs waiting
    bus = container.bus
    await bus.publish_many(ESI_ALLIANCE_INFO_QUEUE, [EntityIdsMessage(ids=[n]) for n in (1, 2, 3)])
    await bus.publish_many(
        ESI_USER_KILLMAILS_QUEUE,
        [UserKillmailsMessage(character_id=7), UserKillmailsMessage(character_id=8, full=True)],
        PRIORITY_LOGIN,
    )
    async with bus.consume(ESI_ALLIANCE_INFO_QUEUE, prefetch=1) as subscription:
        delivery = await subscription.next()
        assert delivery is not None
        await bus.dead_letter(delivery, error="ESI says 404 forever")

    # when `killreport status --json` runs
    result = killreport(settings, "status", "--json")

    # then every queue is listed with its worker, and the counts are right
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    queues = orjson.loads(result.stdout)["queues"]
    assert set(queues) == set(QUEUES)
    assert queues[ESI_ALLIANCE_INFO_QUEUE]["worker"] == "info-alliances"
    assert (queues[ESI_ALLIANCE_INFO_QUEUE]["ready"], queues[ESI_ALLIANCE_INFO_QUEUE]["dead"]) == (
        2,
        1,
    )
    assert (
        queues[ESI_USER_KILLMAILS_QUEUE]["ready"],
        queues[ESI_USER_KILLMAILS_QUEUE]["dead"],
    ) == (
        2,
        0,
    )
    assert queues["zkillboard_character_queue"]["ready"] == 0

    # when the alliance queue is purged by its worker name (dead letters kept)
    with pytest.raises(SystemExit) as refused:
        purge("info-alliances")
    purged = killreport(settings, "purge", "info-alliances", "--yes")

    # then nothing happens without --yes, and with it only that queue is emptied
    assert refused.value.code == 1
    assert purged.returncode == 0, purged.stderr.decode()[-2000:]
    assert f"{ESI_ALLIANCE_INFO_QUEUE}: 2 purged" in purged.stdout.decode()
    stats = {s.queue: s for s in await bus.queue_stats()}
    assert (stats[ESI_ALLIANCE_INFO_QUEUE].ready, stats[ESI_ALLIANCE_INFO_QUEUE].dead) == (0, 1)
    assert stats[ESI_USER_KILLMAILS_QUEUE].ready == 2
