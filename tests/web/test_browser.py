"""The killboard in a real browser (Playwright, Debian's Chromium) against `up --sim`."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from killreport.killmails.slots import FITTED_SLOT_KINDS, slot_kind
from killreport.universe.static import load_static
from tests.killmails.corpus import corpus, everef_line
from tests.web.board import Board, running_board
from tests.web.browsing import Browsing, browsing

GENERATED = 20


def _fitted(row: dict[str, Any]) -> int:
    items = row["esi"]["victim"].get("items", [])
    return sum(slot_kind(i["flag"]) in FITTED_SLOT_KINDS for i in items)


# Real killmails with a victim pilot and at least five fitted modules, fullest first: the
# click-through candidates (the first whose pilot the workers have named is taken).
CANDIDATES = sorted(
    (
        r
        for r in corpus()
        if "character_id" in r["esi"]["victim"] and r["killmail_hash"] and _fitted(r) >= 5
    ),
    key=_fitted,
    reverse=True,
)


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    """A board that has imported the real corpus and followed some generated kills on R2Z2."""
    started = time.monotonic()
    real = [everef_line(r) for r in corpus()]
    with running_board(tmp_path_factory.mktemp("board"), real) as served:
        served.publish(count=GENERATED)
        served.wait_for("SELECT count(*) FROM killmails", len(real) + GENERATED, timeout_s=120)
        print(f"board ready in {time.monotonic() - started:.1f} s")
        yield served


@pytest.fixture(scope="module")
def chosen(board: Board) -> dict[str, Any]:
    """The most fitted candidate whose victim's name the workers have fetched already."""
    ids = ",".join(str(r["esi"]["victim"]["character_id"]) for r in CANDIDATES)
    sql = f"SELECT count(*) FROM characters WHERE name IS NOT NULL AND character_id IN ({ids})"
    board.wait_for(sql, 1, timeout_s=120)
    named = {row[0] for row in board.query(sql.replace("count(*)", "character_id"))}
    return next(r for r in CANDIDATES if r["esi"]["victim"]["character_id"] in named)


@pytest.fixture(scope="module")
def web(board: Board) -> Iterator[Browsing]:
    """One Chromium for the module."""
    with browsing(board.url) as opened:
        yield opened


def _alliance_with_losses() -> tuple[int, set[int]]:
    losses: dict[int, set[int]] = {}
    for row in corpus():
        alliance = row["esi"]["victim"].get("alliance_id")
        if alliance and row["killmail_hash"]:
            losses.setdefault(alliance, set()).add(row["killmail_id"])
    return max(losses.items(), key=lambda kv: len(kv[1]))


def _listed(page: Page) -> list[int]:
    ids = page.locator("table.kills tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.killmailId)"
    )
    return [int(i) for i in ids]


def test_clicking_a_kill_opens_its_page_with_every_module_in_its_slot(
    web: Browsing, board: Board, chosen: dict[str, Any]
) -> None:
    esi = chosen["esi"]
    ((victim_name,),) = board.query(
        "SELECT name FROM characters WHERE character_id = ?", esi["victim"]["character_id"]
    )
    ship_name = load_static().types[esi["victim"]["ship_type_id"]].name
    with web.context() as context:
        page, problems = web.open_page(context)
        # given the kill browser listing the chosen killmail's system
        page.goto(f"{board.url}/kills/?solarSystemIds={esi['solar_system_id']}")
        # when its row's link is clicked
        page.locator(f'a[href="/kill/{esi["killmail_id"]}/"]').first.click()
        page.wait_for_url(f"**/kill/{esi['killmail_id']}/")
        # then the page names the victim and the ship
        expect(page.locator("h1 .victim-name")).to_have_text(str(victim_name))
        expect(page.locator("h1 .ship-name")).to_have_text(str(ship_name))
        # and every fitted module of the ESI body is in its slot (charges beside modules)
        for item in esi["victim"].get("items", []):
            kind = slot_kind(item["flag"])
            if kind not in FITTED_SLOT_KINDS:
                continue
            row = page.locator(f'.fitting tr[data-flag="{item["flag"]}"]')
            expect(row).to_have_attribute("data-slot", kind.value)
            module = row.get_attribute("data-type-id")
            charges = row.locator("[data-charge-type-id]").evaluate_all(
                "nodes => nodes.map(n => n.dataset.chargeTypeId)"
            )
            assert str(item["item_type_id"]) in [module, *charges], item
        assert problems.console == [] and problems.failed == []


def test_the_filter_form_changes_the_url_and_the_list(web: Browsing, board: Board) -> None:
    alliance, real_losses = _alliance_with_losses()
    # (generated kills may have that victim alliance too: the stored column says which)
    stored = board.query("SELECT killmail_id FROM killmails WHERE victim_alliance_id = ?", alliance)
    expected = {int(str(row[0])) for row in stored}
    assert real_losses <= expected
    with web.context() as context:
        page, problems = web.open_page(context)
        # given the kill browser
        page.goto(f"{board.url}/kills/")
        # when a victim alliance is typed in and the form applied
        page.locator("#f-victimAllianceIds").fill(str(alliance))
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(rf"victimAllianceIds={alliance}"))
        # then the URL carries only what was chosen and the list is that alliance's losses
        assert page.url.endswith(f"/kills/?victimAllianceIds={alliance}&orderBy=TIME_DESC")
        first = _listed(page)
        assert set(first) == expected
        # and reloading the URL shows the same list and the same form
        page.reload()
        assert _listed(page) == first
        expect(page.locator("#f-victimAllianceIds")).to_have_value(str(alliance))
        assert problems.console == [] and problems.failed == []


def test_pages_look_right_at_1280_and_375_px_without_errors(
    web: Browsing, board: Board, chosen: dict[str, Any]
) -> None:
    km = chosen["esi"]
    alliance, _ = _alliance_with_losses()
    pages = {
        "home": "/",
        "killmail": f"/kill/{km['killmail_id']}/",
        "alliance": f"/alliance/{alliance}/",
        "character": f"/character/{km['victim']['character_id']}/losses/",
        "kills": "/kills/?securitySpace=NULLSEC",
        "leaderboards": "/leaderboards/?window=MONTH",
        "not-found": "/kill/1/",
    }
    shots: list[Path] = []
    for name, path in pages.items():
        # when each page is opened at both widths, then nothing fails and nothing overflows
        shots += web.screenshots(path, name, expect_status=404 if name == "not-found" else 200)
    assert all(shot.stat().st_size > 0 for shot in shots)


def test_no_serious_accessibility_violations(
    web: Browsing, board: Board, chosen: dict[str, Any]
) -> None:
    alliance, _ = _alliance_with_losses()
    for path in ("/", f"/kill/{chosen['killmail_id']}/", f"/alliance/{alliance}/"):
        # when axe-core checks the page, then it finds nothing serious or critical
        assert web.axe_violations(path) == [], path


def test_the_keyboard_reaches_the_content_first(web: Browsing, board: Board) -> None:
    with web.context() as context:
        page, _ = web.open_page(context)
        page.goto(f"{board.url}/")
        # when Tab is pressed once, then the skip link has focus and leads to the main content
        page.keyboard.press("Tab")
        expect(page.locator(":focus")).to_have_text("Skip to content")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"


def test_login_through_the_simulated_sso_shows_the_pilot_and_their_kills(
    web: Browsing, board: Board, chosen: dict[str, Any]
) -> None:
    character_id = chosen["esi"]["victim"]["character_id"]
    ((name,),) = board.query("SELECT name FROM characters WHERE character_id = ?", character_id)
    visited: list[str] = []
    with web.context() as context:
        page, problems = web.open_page(context)
        page.on("framenavigated", lambda frame: visited.append(frame.url))
        # given the front page, when "log in" is followed and the pilot picked on EVE SSO
        page.goto(f"{board.url}/")
        page.locator(".account a.login").click()
        page.get_by_label("Character id").fill(str(character_id))
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{board.url}/")
        # then the header names the pilot
        expect(page.locator(".account .me")).to_have_text(str(name))
        # and /me/ lists the character and its killmails
        page.locator(".account .me").click()
        page.wait_for_url(f"{board.url}/me/")
        expect(page.locator(f'tr[data-character-id="{character_id}"]')).to_contain_text(str(name))
        assert chosen["killmail_id"] in _listed(page)
        # and no token is anywhere a page script or a URL could leak it
        assert not [url for url in visited if "token" in url.lower()], visited
        storage = page.evaluate(
            "() => [document.cookie, JSON.stringify(localStorage), JSON.stringify(sessionStorage)]"
        )
        cookie, local, session = storage
        assert [c.split("=")[0].strip() for c in cookie.split(";") if c] == ["killreport_csrf"]
        # (htmx keeps only the current path in sessionStorage)
        assert local == "{}" and "token" not in session.lower() and "eyJ" not in session
        assert "eyJ" not in page.content()  # no JWT in the page either
        # and logging out ends the session
        page.get_by_role("button", name="Log out").click()
        expect(page.locator(".account a.login")).to_be_visible()
        assert problems.failed == []


def _newest_stored(board: Board, count: int) -> list[int]:
    rows = board.query("SELECT killmail_id FROM killmails ORDER BY sequence DESC LIMIT ?", count)
    return [int(str(row[0])) for row in rows]


def test_new_kills_arrive_live_and_after_a_dropped_connection_once_each(
    web: Browsing, board: Board
) -> None:
    # The page's WebSocket goes through here, so the test can cut it and refuse reconnects.
    sockets: list[WebSocketRoute] = []
    down = False

    def route(socket: WebSocketRoute) -> None:
        if down:
            socket.close(code=1001)
            return
        socket.connect_to_server()
        sockets.append(socket)

    with web.context() as context:
        page, problems = web.open_page(context)
        page.route_web_socket(re.compile(r".*/graphql$"), route)
        # given the front page, live
        page.goto(f"{board.url}/")
        expect(page.locator("[data-live-state]")).to_have_attribute("data-state", "live")
        stored = board.query("SELECT count(*) FROM killmails")[0][0]
        # when the simulator publishes a killmail and the feed stores it
        board.publish(count=1)
        board.wait_for("SELECT count(*) FROM killmails", int(str(stored)) + 1)
        (newest,) = _newest_stored(board, 1)
        # then it is on top within 2 s, without a reload
        expect(page.locator("table.kills tbody tr").first).to_have_attribute(
            "data-killmail-id", str(newest), timeout=2000
        )
        # when the connection drops, two kills land meanwhile, and the connection returns
        down = True
        sockets[-1].close(code=1001)
        expect(page.locator("[data-live-state]")).to_have_attribute("data-state", "offline")
        board.publish(count=2)
        board.wait_for("SELECT count(*) FROM killmails", int(str(stored)) + 3)
        missed = _newest_stored(board, 2)
        down = False
        # then both are on top, newest first, and no row is there twice
        top = page.locator("table.kills tbody tr")
        expect(top.first).to_have_attribute("data-killmail-id", str(missed[0]), timeout=15000)
        listed = _listed(page)
        assert listed[:3] == [*missed, newest]
        assert len(listed) == len(set(listed))
        assert problems.failed == []
