"""The pages over HTTP on the 108 real killmails: fitting by slot, filters, headers, ETag, 404."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from killreport import container as container_module
from killreport.api.app import create_app
from killreport.killmails import repository
from killreport.killmails.parse import parse_envelope
from killreport.killmails.service import ingest_batch
from killreport.killmails.slots import FITTED_SLOT_KINDS, slot_kind
from killreport.settings import Settings
from tests.killmails.corpus import corpus, daily_prices, everef_line
from tests.serving import serve

HTML = {"Accept": "text/html"}


@dataclass
class Site:
    """The served app and an HTTP client for it."""

    url: str
    http: aiohttp.ClientSession

    async def get(self, path: str, **headers: str) -> tuple[int, CIMultiDict[str], str]:
        """GET a path as a browser would; (status, headers, body)."""
        async with self.http.get(self.url + path, headers={**HTML, **headers}) as response:
            return response.status, CIMultiDict(response.headers), await response.text()


@pytest.fixture
async def site(embedded_settings: Settings) -> AsyncIterator[Site]:
    """The API app with pages, on a database holding the real corpus."""
    async with container_module.build(embedded_settings) as container:
        async with container.database.transaction() as session:
            await repository.store_prices(session, list(daily_prices()))
        killmails = [parse_envelope(everef_line(r), source="test") for r in corpus()]
        await ingest_batch(container.database, None, killmails)
        async with serve(create_app(container)) as url, aiohttp.ClientSession() as http:
            yield Site(url, http)


def _fitted_rows(body: str) -> dict[int, tuple[str, str, list[str]]]:
    """flag -> (slot kind, module type id, charge type ids) from the page's fitting table."""
    fitting = body.split('id="fitting-heading"', 1)[1].split("</table>", 1)[0]
    rows: dict[int, tuple[str, str, list[str]]] = {}
    for row in re.findall(r"<tr data-slot=.*?</tr>", fitting, re.DOTALL):
        slot = re.search(r'data-slot="(\w+)"', row)
        flag = re.search(r'data-flag="(\d+)"', row)
        module = re.search(r'data-type-id="(\d+)"', row)
        assert slot and flag
        charges = re.findall(r'data-charge-type-id="(\d+)"', row)
        rows[int(flag.group(1))] = (slot.group(1), module.group(1) if module else "", charges)
    return rows


async def test_every_fitted_module_is_in_its_slot_as_in_the_esi_body(site: Site) -> None:
    # given the 108 real killmails stored
    for row in corpus():
        esi: dict[str, Any] = row["esi"]
        # when its page is opened
        status, _, body = await site.get(f"/kill/{esi['killmail_id']}/")
        assert status == 200, esi["killmail_id"]
        rows = _fitted_rows(body)
        # then every top-level item in a fitted slot of the ESI body is shown in that slot,
        # as the slot's module or as a charge beside it
        for item in esi["victim"].get("items", []):
            kind = slot_kind(item["flag"])
            if kind not in FITTED_SLOT_KINDS:
                continue
            slot, module, charges = rows[item["flag"]]
            assert slot == kind.value
            assert str(item["item_type_id"]) in [module, *charges], (esi["killmail_id"], item)
        # and every victim and attacker is linked, with the ESI and zKillboard links
        victim = esi["victim"]
        for key, path in (("character_id", "character"), ("corporation_id", "corporation")):
            if key in victim:
                assert f'href="/{path}/{victim[key]}/"' in body
        for attacker in esi["attackers"]:
            if "character_id" in attacker:
                assert f'href="/character/{attacker["character_id"]}/"' in body
        assert f"https://zkillboard.com/kill/{esi['killmail_id']}/" in body
        assert (
            f"/killmails/{esi['killmail_id']}/{row['killmail_hash']}/" in body
            or not row["killmail_hash"]
        )


async def test_pages_carry_the_security_headers_and_no_inline_script(site: Site) -> None:
    # given the front page and a killmail page
    first = corpus()[0]["killmail_id"]
    for path in ("/", f"/kill/{first}/", "/kills/", "/leaderboards/"):
        status, headers, body = await site.get(path)
        # then the policy allows scripts only from this origin and forbids framing
        assert status == 200, path
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        # and every script is a same-origin file, none inline
        scripts = re.findall(r"<script([^>]*)>", body)
        assert scripts and all('src="/static/' in attrs for attrs in scripts), path
        assert "cdn" not in body.lower()


async def test_killmail_pages_answer_304_to_their_etag(site: Site) -> None:
    # given a killmail page and its ETag
    path = f"/kill/{corpus()[1]['killmail_id']}/"
    status, headers, _ = await site.get(path)
    assert status == 200
    tag = headers["ETag"]
    # when asked again with If-None-Match, then 304 with the same tag
    status, headers, body = await site.get(path, **{"If-None-Match": tag})
    assert status == 304 and headers["ETag"] == tag and body == ""


async def test_unknown_pages_are_friendly_for_browsers_and_json_for_apis(site: Site) -> None:
    # given an unknown killmail and an unknown path
    for path in ("/kill/1/", "/no/such/page/", "/alliance/1/"):
        status, headers, body = await site.get(path)
        # then a browser gets the site's 404 page
        assert status == 404, path
        assert headers["Content-Type"].startswith("text/html")
        assert "Not found" in body and 'href="/"' in body
    # and an API client keeps FastAPI's JSON
    async with site.http.get(site.url + "/no/such/page/") as response:
        assert response.status == 404
        assert await response.json() == {"detail": "Not Found"}


async def test_the_kill_browser_filters_by_the_url_query(site: Site) -> None:
    # given a victim alliance that lost several of the real killmails
    losses: dict[int, set[int]] = {}
    for row in corpus():
        alliance = row["esi"]["victim"].get("alliance_id")
        if alliance:
            losses.setdefault(alliance, set()).add(row["esi"]["killmail_id"])
    alliance, expected = max(losses.items(), key=lambda kv: len(kv[1]))
    # when /kills/ is asked for that alliance's losses
    status, _, body = await site.get(f"/kills/?victimAllianceIds={alliance}")
    assert status == 200
    listed = set(map(int, re.findall(r'<tr data-killmail-id="(\d+)"', body)))
    # then exactly those killmails are listed, and the form shows the filter
    assert listed == expected
    assert f'name="victimAllianceIds" value="{alliance}"' in body
    # and a bad value is refused with a message naming the field
    status, _, body = await site.get("/kills/?minAttackers=many")
    assert status == 400 and "minAttackers" in body


async def test_a_live_row_is_coloured_for_the_entity_page_it_joins(site: Site) -> None:
    # given a real killmail with a victim alliance
    row = next(r for r in corpus() if r["esi"]["victim"].get("alliance_id"))
    killmail_id, alliance = row["esi"]["killmail_id"], row["esi"]["victim"]["alliance_id"]
    # when its row is fetched for that alliance's page, then it is a loss there
    _, _, body = await site.get(f"/kill/{killmail_id}/row?as=victim_alliance_id-{alliance}")
    assert body.startswith(f'<tr data-killmail-id="{killmail_id}"') and 'class="loss"' in body
    # and for another alliance it is a kill
    _, _, body = await site.get(f"/kill/{killmail_id}/row?as=victim_alliance_id-1")
    assert 'class="kill"' in body
