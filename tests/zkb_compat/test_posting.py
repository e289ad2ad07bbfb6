"""Posting a killmail by its ESI link: stored from the simulator's ESI, or a clear refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from killreport.db.tables import Killmail
from killreport.killmails.links import MalformedLink, parse_link
from killreport.killmails.zkb_envelope import load_stored
from killreport.settings import Settings
from killreport.sim import SimConfig, Simulator, run_simulator
from tests.zkb_compat.board import ServedBoard, served_board

HASH = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    "text",
    [
        f"https://esi.evetech.net/latest/killmails/123/{HASH}/?datasource=tranquility",
        f"https://esi.evetech.net/latest/killmails/123/{HASH}/",
        f"https://esi.evetech.net/v1/killmails/123/{HASH}",
        f"https://esi.evetech.net/killmails/123/{HASH}/",
        f"  esi.evetech.net/killmails/123/{HASH.upper()}?datasource=tranquility \n",
        f"http://esi.tech.ccp.is/latest/killmails/123/{HASH}/",
        f"<url=killReport:123:{HASH}>Kill: Someone (Rifter)</url>",
    ],
)
def test_every_form_of_the_esi_link_reads_as_id_and_hash(text: str) -> None:
    # given a link as players paste it; when read; then it names killmail 123 and its hash
    link = parse_link(text)
    assert (link.killmail_id, link.killmail_hash) == (123, HASH)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "paste an ESI killmail link"),
        ("https://zkillboard.com/kill/123/", "esi.evetech.net"),
        (f"https://esi.evetech.net/latest/characters/123/{HASH}/", "/killmails/<id>/<hash>/"),
        ("https://esi.evetech.net/latest/killmails/123/", "/killmails/<id>/<hash>/"),
        ("https://esi.evetech.net/latest/killmails/0123/" + HASH, "not a killmail id"),
        ("https://esi.evetech.net/latest/killmails/123/abc/", "40 hexadecimal"),
        (f"https://esi.evetech.net/latest/killmails/{2**63}/{HASH}/", "not a killmail id"),
    ],
)
def test_a_malformed_link_says_what_is_wrong(text: str, says: str) -> None:
    # given something that is not an ESI killmail link; when read; then the error says why
    with pytest.raises(MalformedLink) as raised:
        parse_link(text)
    assert says in str(raised.value)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with run_simulator(SimConfig(seed=13, universe="tiny")) as running:
        yield running


def _on_sim(settings: Settings, sim: Simulator, **values: Any) -> Settings:
    return settings.model_copy(update={"esi_url": sim.endpoints["esi"], **values})


async def _count(board: ServedBoard) -> int:
    async with board.container.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Killmail)) or 0)


async def _post_form(http: aiohttp.ClientSession, link: str) -> tuple[int, str]:
    async with http.post("/post/", data={"link": link}) as response:
        return response.status, await response.text()


async def _post_api(http: aiohttp.ClientSession, killmail_id: Any, hash_: str) -> Any:
    async with http.post(f"/api/killmail/add/{killmail_id}/{hash_}/") as response:
        return response.status, await response.json()


async def test_a_posted_link_is_stored_from_esi_and_bad_ones_store_nothing(
    settings: Settings, sim: Simulator
) -> None:
    first_id, second_id = sim.killmail_ids()[:2]
    first, second = sim.killmail(first_id), sim.killmail(second_id)
    unknown_id = max(sim.killmail_ids()) + 1000
    async with (
        served_board(_on_sim(settings, sim, killmail_post_burst=20), filled=False) as board,
        aiohttp.ClientSession(board.url) as http,
    ):
        # given the form page
        async with http.get("/post/") as response:
            page = (response.status, await response.text())
        # when a simulator killmail's link is pasted in the form, and another is posted
        # through zKillboard's API route
        link = (
            f"https://esi.evetech.net/latest/killmails/{first_id}/{first.killmail_hash}/"
            "?datasource=tranquility"
        )
        stored_form = await _post_form(http, link)
        stored_api = await _post_api(http, second_id, second.killmail_hash)
        # and the same link again, a wrong hash, an unknown id and malformed links
        again = await _post_form(http, link)
        again_api = await _post_api(http, first_id, first.killmail_hash)
        wrong_hash_stored = await _post_api(http, first_id, HASH)
        third_id = sim.killmail_ids()[2]
        wrong_hash = await _post_api(http, third_id, HASH)
        unknown = await _post_api(http, unknown_id, HASH)
        malformed_form = await _post_form(http, f"https://zkillboard.com/kill/{third_id}/")
        malformed_api = await _post_api(http, third_id, "not-a-hash")
        count = await _count(board)
        async with board.container.database.transaction() as session:
            stored = {s.row.killmail_id: s for s in await load_stored(session, [first_id])}
    # then the form page is served, self-contained
    assert page[0] == 200 and '<form method="post" action="/post/">' in page[1]
    # and both are stored with source `posted`, the ESI body as ESI sent it, and the answer
    # links to the killmail's page
    assert stored_form[0] == 201
    assert f'href="/kill/{first_id}/"' in stored_form[1]
    assert stored_api == (
        201,
        {
            "status": "success",
            "url": f"{board.url}/kill/{second_id}/",
            "killmail_id": second_id,
            "result": "stored",
            "message": f"Killmail {second_id} is stored.",
        },
    )
    assert stored[first_id].row.source == "posted"
    assert stored[first_id].esi == sim.killmail_body(first_id)
    # and each bad input gets its own answer, storing nothing more
    assert again[0] == 200 and "already stored" in again[1]
    assert f'href="/kill/{first_id}/"' in again[1]
    assert again_api[0] == 200 and again_api[1]["result"] == "already_stored"
    assert again_api[1]["url"] == f"{board.url}/kill/{first_id}/"
    assert wrong_hash_stored == (
        422,
        {
            "error": f"Wrong hash: killmail {first_id} is stored with another hash than {HASH}; "
            "copy the link again from the game.",
            "status": "error",
            "reason": "wrong_hash",
        },
    )
    assert wrong_hash[0] == 422 and wrong_hash[1]["reason"] == "not_at_esi"
    assert f"ESI has no killmail {third_id} with hash {HASH}" in wrong_hash[1]["error"]
    assert unknown[0] == 422 and f"ESI has no killmail {unknown_id}" in unknown[1]["error"]
    assert (
        malformed_form[0] == 400
        and "Malformed link: not an ESI killmail link" in (malformed_form[1])
    )
    assert malformed_api[0] == 400 and "not a killmail hash" in malformed_api[1]["error"]
    assert count == 2


async def test_posting_is_rate_limited_per_address(
    embedded_settings: Settings, sim: Simulator
) -> None:
    ids = sim.killmail_ids()[:3]
    limited = _on_sim(embedded_settings, sim, killmail_post_burst=2, killmail_post_per_minute=1.0)
    async with (
        served_board(limited, filled=False) as board,
        aiohttp.ClientSession(board.url) as http,
    ):
        # when three killmails are posted at once from one address, with a burst of two
        answers = []
        for killmail_id in ids:
            async with http.post(
                f"/api/killmail/add/{killmail_id}/{sim.killmail(killmail_id).killmail_hash}/"
            ) as response:
                answers.append(
                    (response.status, response.headers.get("Retry-After"), await response.json())
                )
        count = await _count(board)
    # then two are stored and the third is told to wait, and is not stored
    assert [status for status, _, _ in answers] == [201, 201, 429]
    _status, retry_after, body = answers[2]
    assert retry_after is not None and 1 <= int(retry_after) <= 60
    assert (body["status"], body["reason"]) == ("error", "rate_limited")
    assert body["error"].startswith("Too many killmails posted from your address")
    assert count == 2
