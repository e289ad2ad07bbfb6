"""Follow zKillboard's R2Z2 sequence with a cursor stored in the killmails' own transaction.

The cursor row (`feed_cursors`, name `r2z2`) holds the next sequence to read. Entries are
read ahead up to `batch_max`, then ingested and the cursor moved in one transaction, so
a crash at any moment resumes exactly where the last commit stopped: nothing is lost,
nothing is counted twice. 404 means "not yet": wait about 6 s. 429 waits until
`retry_at`; 5xx and timeouts back off. Republished and reordered entries are duplicates.
A failing step (R2Z2, the database, the bus) is logged with its position and retried
after a growing delay from the same cursor: the follower outlives every outage.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.bus.errors import BusUnavailable
from killreport.bus.protocol import MessageBus
from killreport.db.engine import Database, DatabaseUnavailable
from killreport.events.errors import EventsUnavailable
from killreport.events.hub import EventHub
from killreport.feeds.cursor import CURSOR_NAME, read_cursor, save_cursor
from killreport.feeds.pause import is_paused
from killreport.jobs.scan import MissingPublisher
from killreport.killmails.models import IngestResult, ParsedKillmail, Rejection
from killreport.killmails.parse import KillmailRejected, parse_envelope
from killreport.killmails.service import ingest_batch
from killreport.zkb.errors import ZkbError, ZkbNotFound, ZkbRateLimited
from killreport.zkb.r2z2 import R2Z2Client

logger = logging.getLogger(__name__)

SOURCE = "r2z2"

# What a step may meet that passes by itself; the step is retried from the same cursor.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    ZkbError,
    BusUnavailable,
    EventsUnavailable,
    SQLAlchemyError,
    DatabaseUnavailable,
    OSError,
)


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """How the follower paces itself."""

    not_yet_wait_s: float = 6.0
    error_backoff_s: float = 5.0
    max_backoff_s: float = 60.0
    batch_max: int = 50
    # A sequence still 404 after this many tries while the head is past it is skipped
    # (logged); the daily-history repair fetches whatever it held.
    skip_after_misses: int = 5
    # How often a paused feed looks whether it was resumed.
    pause_poll_s: float = 1.0


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return


class R2Z2Follower:
    """Reads entries from the cursor on and ingests them in batches."""

    def __init__(
        self,
        database: Database,
        events: EventHub | None,
        bus: MessageBus | None,
        client: R2Z2Client,
        config: FeedConfig | None = None,
    ) -> None:
        self.database = database
        self.events = events
        self.client = client
        self.config = config or FeedConfig()
        self.publisher = MissingPublisher(bus) if bus is not None else None
        self._misses = 0
        self._backoff_s = self.config.error_backoff_s

    async def start_position(self, from_sequence: int | None) -> int:
        """The stored cursor; else `from_sequence`; else the published head."""
        stored = await read_cursor(self.database)
        if stored is not None:
            return stored
        if from_sequence is not None:
            return from_sequence
        return await self.client.sequence()

    async def _read_ahead(self, position: int) -> tuple[list[tuple[int, object]], float]:
        """Entries from `position` on (at most batch_max) and how long to wait if none."""
        entries: list[tuple[int, object]] = []
        url = f"{self.client.base_url}/ephemeral/{{}}.json"
        while len(entries) < self.config.batch_max:
            sequence = position + len(entries)
            try:
                body = await self.client.fetcher.get_json(url.format(sequence))
            except ZkbNotFound:
                if entries:
                    break
                return entries, await self._not_yet(sequence)
            except ZkbRateLimited as exc:
                wait_s = max((exc.retry_at - datetime.now(UTC)).total_seconds(), 1.0)
                logger.warning("r2z2 rate limited at sequence %d; waiting %.0f s", sequence, wait_s)
                return entries, 0.0 if entries else wait_s
            except ZkbError as exc:
                logger.warning("r2z2 sequence %d failed: %s; backing off", sequence, exc)
                wait_s = self._backoff_s
                self._backoff_s = min(self._backoff_s * 2, self.config.max_backoff_s)
                return entries, 0.0 if entries else wait_s
            entries.append((sequence, body))
            self._misses = 0
            self._backoff_s = self.config.error_backoff_s
        return entries, 0.0

    async def _not_yet(self, sequence: int) -> float:
        self._misses += 1
        if self._misses >= self.config.skip_after_misses:
            head = await self.client.sequence()
            if head > sequence:
                logger.warning(
                    "r2z2 sequence %d missing while head is %d; skipping", sequence, head
                )
                self._misses = 0
                return -1.0
        return self.config.not_yet_wait_s

    async def step(self, position: int) -> tuple[int, float]:
        """Ingest what is there from `position`; the new position and how long to wait."""
        entries, wait_s = await self._read_ahead(position)
        if wait_s < 0:  # a permanently missing sequence: move the cursor past it
            async with self.database.transaction() as session:
                await save_cursor(session, position + 1, self.client.base_url)
            return position + 1, 0.0
        if not entries:
            return position, wait_s
        killmails: list[ParsedKillmail] = []
        rejected: list[Rejection] = []
        for sequence, body in entries:
            try:
                killmails.append(parse_envelope(body, source=SOURCE))
            except KillmailRejected as exc:
                # A malformed entry never becomes valid: record it and move on.
                logger.warning("r2z2 sequence %d rejected: %s", sequence, exc.reason)
                rejected.append(Rejection(exc.killmail_id, exc.reason, f"r2z2:{sequence}"))
        following = entries[-1][0] + 1

        async def move_cursor(session: AsyncSession, result: IngestResult) -> None:
            await save_cursor(session, following, self.client.base_url)
            # Missing entities are queued in the batch's transaction: a crash after the
            # commit can no longer lose them (the cursor has moved past their killmails).
            if self.publisher is not None:
                await self.publisher.publish_in(session, result.missing)

        result = await ingest_batch(
            self.database, self.events, killmails, rejected=rejected, in_transaction=move_cursor
        )
        if self.publisher is not None:
            self.publisher.committed()
        logger.info(
            "r2z2 %d..%d: %d new, %d duplicate, %d rejected",
            position,
            following - 1,
            len(result.created),
            len(result.duplicates),
            len(result.rejected),
        )
        return following, wait_s

    async def run(self, stop: asyncio.Event, *, from_sequence: int | None = None) -> None:
        """Follow the feed until `stop` is set; transient failures only delay it."""
        position: int | None = None
        while position is None and not stop.is_set():
            try:
                position = await self.start_position(from_sequence)
            except TRANSIENT_ERRORS as exc:
                await _sleep(stop, self._failed("start", exc))
        if position is None:
            return
        logger.info("r2z2 feed starts at sequence %d", position)
        paused = False
        while not stop.is_set():
            try:
                if await is_paused(self.database, CURSOR_NAME):
                    if not paused:
                        logger.info("r2z2 feed paused at sequence %d", position)
                    paused = True
                    await _sleep(stop, self.config.pause_poll_s)
                    continue
                if paused:
                    logger.info("r2z2 feed resumed at sequence %d", position)
                    paused = False
                position, wait_s = await self.step(position)
            except TRANSIENT_ERRORS as exc:
                wait_s = self._failed(f"sequence {position}", exc)
            if wait_s > 0:
                await _sleep(stop, wait_s)

    def _failed(self, where: str, exc: Exception) -> float:
        """Log a failed step and return how long to wait: `retry_at` if named, else backoff."""
        if isinstance(exc, ZkbRateLimited):
            wait_s = max((exc.retry_at - datetime.now(UTC)).total_seconds(), 1.0)
        else:
            wait_s = self._backoff_s
            self._backoff_s = min(self._backoff_s * 2, self.config.max_backoff_s)
        logger.warning(
            "r2z2 at %s failed (%s: %s); trying again in %.1f s",
            where,
            type(exc).__name__,
            exc,
            wait_s,
        )
        return wait_s
