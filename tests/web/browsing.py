"""Playwright on Debian's Chromium: one browser per test module, pages that record problems.

Every page opened through `Browsing.open_page` answers image-server requests with a
placeholder (no network here), and records console errors, uncaught page errors and
failed same-origin requests, so a test can assert there were none. Screenshots go to
ARTIFACTS (printed once), at 1280 and 375 px wide.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Request, Route, sync_playwright

from tests.web.board import IMAGE_SERVER

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
WIDTHS = (1280, 375)
# A 1x1 dark PNG for every portrait, logo and render.
PLACEHOLDER_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@dataclass
class Problems:
    """What went wrong on a page: console errors, page errors, failed same-origin requests."""

    origin: str
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        """Start recording on a page."""
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console.append(f"page error: {e}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)

    def _request_failed(self, request: Request) -> None:
        # A WebSocket closed on purpose or a navigation cut short is not a failure.
        if request.url.startswith(self.origin) and request.failure not in ("net::ERR_ABORTED",):
            self.failed.append(f"{request.method} {request.url}: {request.failure}")

    def _response(self, response: Any) -> None:
        if response.url.startswith(self.origin) and response.status >= 400:
            self.failed.append(f"{response.request.method} {response.url}: {response.status}")

    def clear(self) -> None:
        """Forget what was recorded so far."""
        self.console.clear()
        self.failed.clear()


def _placeholder(route: Route) -> None:
    route.fulfill(status=200, content_type="image/png", body=PLACEHOLDER_PNG)


@dataclass
class Browsing:
    """The module's browser and the board it looks at."""

    browser: Browser
    origin: str

    @contextmanager
    def context(self, *, width: int = 1280, bypass_csp: bool = False) -> Iterator[BrowserContext]:
        """A fresh browser context (own cookies) at a viewport width."""
        context = self.browser.new_context(
            viewport={"width": width, "height": 900}, bypass_csp=bypass_csp
        )
        context.route(f"{IMAGE_SERVER}/**", _placeholder)
        try:
            yield context
        finally:
            context.close()

    def open_page(self, context: BrowserContext) -> tuple[Page, Problems]:
        """A new page in the context, with its problems recorded."""
        page = context.new_page()
        problems = Problems(self.origin)
        problems.watch(page)
        return page, problems

    def screenshots(self, path: str, name: str, *, expect_status: int = 200) -> list[Path]:
        """Full-page screenshots of `path` at every width; returns the files."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        files = []
        for width in WIDTHS:
            with self.context(width=width) as context:
                page, problems = self.open_page(context)
                response = page.goto(self.origin + path, wait_until="load")
                assert response is not None and response.status == expect_status, path
                if expect_status >= 400:  # the page's own status is expected, not a failure
                    problems.failed = [f for f in problems.failed if self.origin + path not in f]
                    problems.console = [c for c in problems.console if "status of 404" not in c]
                target = ARTIFACTS / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                files.append(target)
                assert problems.console == [], problems.console
                assert problems.failed == [], problems.failed
                # Nothing sticks out sideways at this width.
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{path} is {overflow}px too wide at {width}px"
        return files

    def axe_violations(self, path: str) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on a page (axe injected past the CSP)."""
        with self.context(bypass_csp=True) as context:
            page = context.new_page()
            page.goto(self.origin + path, wait_until="load")
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("async () => await axe.run(document)")
            return [
                {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]


@contextmanager
def browsing(origin: str) -> Iterator[Browsing]:
    """Launch Debian's Chromium headless through Playwright."""
    print(f"\nbrowser test screenshots: {ARTIFACTS}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield Browsing(browser, origin)
        finally:
            browser.close()
