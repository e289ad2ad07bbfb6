"""Posting a killmail: `POST /api/killmail/add/{id}/{hash}/` (zKillboard's) and the `/post/` form.

Both read the id and hash (the form from any pasted ESI link), take a token from the
client's bucket, and hand over to `jobs.posting.post_killmail`; the answer links to the
killmail's page `/kill/{id}/`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from killreport.api.rate_limit import ClientAddress, RateLimiter
from killreport.api.zkb.responses import container_of, json_response
from killreport.jobs.posting import PostOutcome, PostStatus, post_killmail
from killreport.jobs.scan import MissingPublisher
from killreport.killmails.links import (
    LINK_EXAMPLE,
    KillmailLink,
    MalformedLink,
    check_id_and_hash,
    parse_link,
)

HTTP_STATUS = {
    PostStatus.STORED: 201,
    PostStatus.ALREADY_STORED: 200,
    PostStatus.WRONG_HASH: 422,
    PostStatus.NOT_AT_ESI: 422,
    PostStatus.UNKNOWN_ID: 404,
    PostStatus.REJECTED: 422,
    PostStatus.RETRY_LATER: 503,
    PostStatus.FAILED: 502,
}
MALFORMED_STATUS = 400
RATE_LIMITED_STATUS = 429

_templates = Environment(
    loader=PackageLoader("killreport.api", "pages/templates"),
    autoescape=select_autoescape(("html",)),
)


def killmail_url(killmail_id: int) -> str:
    """The killmail's page on this board."""
    return f"/kill/{killmail_id}/"


@dataclass(frozen=True, slots=True)
class Answer:
    """What a post came to, for either the JSON or the HTML answer."""

    http_status: int
    message: str
    killmail_id: int | None = None
    status: str | None = None
    retry_after_s: int | None = None

    @property
    def ok(self) -> bool:
        """The killmail is on the board."""
        return self.http_status < 300

    @property
    def url(self) -> str | None:
        """Link to the killmail's page when it is stored."""
        return killmail_url(self.killmail_id) if self.ok and self.killmail_id else None

    @property
    def headers(self) -> dict[str, str] | None:
        """Retry-After when the poster should wait."""
        return None if self.retry_after_s is None else {"Retry-After": str(self.retry_after_s)}


def _from_outcome(outcome: PostOutcome) -> Answer:
    retry_after_s = None
    if outcome.retry_at is not None:
        retry_after_s = max(1, math.ceil((outcome.retry_at - datetime.now(UTC)).total_seconds()))
    return Answer(
        HTTP_STATUS[outcome.status],
        outcome.message,
        outcome.killmail_id,
        outcome.status.value,
        retry_after_s,
    )


def _rate_limited(wait_s: float) -> Answer:
    seconds = max(1, math.ceil(wait_s))
    return Answer(
        RATE_LIMITED_STATUS,
        f"Too many killmails posted from your address; try again in {seconds} s.",
        status="rate_limited",
        retry_after_s=seconds,
    )


# Posting buckets live beside the GraphQL ones (same limiter kinds), under their own keys.
BUCKET_PREFIX = "post:"


def build_router(limiter: RateLimiter, addresses: ClientAddress) -> APIRouter:
    """The posting routes, sharing one per-client limiter."""
    router = APIRouter(include_in_schema=False)

    async def _post(request: Request, link: KillmailLink) -> Answer:
        container = container_of(request)
        outcome = await post_killmail(
            container.database,
            container.events,
            container.esi,
            link,
            publisher=MissingPublisher(container.bus),
        )
        return _from_outcome(outcome)

    async def _answer(request: Request, read: KillmailLink | MalformedLink) -> Answer:
        if isinstance(read, MalformedLink):
            return Answer(MALFORMED_STATUS, f"Malformed link: {read}", status="malformed")
        peer = request.client.host if request.client is not None else None
        client = addresses.of(peer, request.headers.get("x-forwarded-for"))
        wait_s = await limiter.take(BUCKET_PREFIX + client)
        if wait_s > 0.0:
            return _rate_limited(wait_s)
        return await _post(request, read)

    @router.post("/api/killmail/add/{killmail_id}/{killmail_hash}/")
    async def add(request: Request, killmail_id: str, killmail_hash: str) -> Response:
        """zKillboard's posting route; JSON answer with the killmail's page or an error."""
        try:
            read: KillmailLink | MalformedLink = check_id_and_hash(killmail_id, killmail_hash)
        except MalformedLink as exc:
            read = exc
        answer = await _answer(request, read)
        # zKillboard's answer: {"status": "success", "url": ...} or {"status": "error", ...}
        if answer.ok and answer.url is not None:
            payload: dict[str, object] = {
                "status": "success",
                "url": f"{str(request.base_url).rstrip('/')}{answer.url}",
                "killmail_id": answer.killmail_id,
                "result": answer.status,
                "message": answer.message,
            }
        else:
            payload = {"status": "error", "error": answer.message, "reason": answer.status}
        return json_response(payload, status=answer.http_status, headers=answer.headers)

    @router.get("/post/")
    async def form() -> HTMLResponse:
        """The form taking a pasted ESI killmail link."""
        return _page(None, "")

    @router.post("/post/")
    async def submit(request: Request) -> HTMLResponse:
        """Post the pasted link; the page says what happened and links to the killmail."""
        raw = (await request.form()).get("link", "")
        text = raw if isinstance(raw, str) else ""
        try:
            read: KillmailLink | MalformedLink = parse_link(text)
        except MalformedLink as exc:
            read = exc
        answer = await _answer(request, read)
        return _page(answer, text)

    return router


def _page(answer: Answer | None, link: str) -> HTMLResponse:
    html = _templates.get_template("post.html").render(
        outcome=answer, link=link, example=LINK_EXAMPLE
    )
    status = 200 if answer is None else answer.http_status
    headers = None if answer is None else answer.headers
    return HTMLResponse(html, status_code=status, headers=headers)


def mount(app: FastAPI, limiter: RateLimiter, addresses: ClientAddress) -> None:
    """Add the posting routes."""
    app.include_router(build_router(limiter, addresses))
