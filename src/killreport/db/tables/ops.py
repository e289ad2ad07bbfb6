"""Operational state: feed cursors, the HTTP cache, the embedded queue, leases, job runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from killreport.db.base import Base
from killreport.db.types import UtcDateTime


class FeedCursor(Base):
    """Where a feed stopped; written in the same transaction as what it produced."""

    __tablename__ = "feed_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The base URL the feed reads from, so `status` run elsewhere can ask it for the lag.
    source: Mapped[str | None] = mapped_column(String(512))


class HttpCache(Base):
    """Validators and expiry of an ESI resource, so an unchanged one costs a 304 or nothing."""

    __tablename__ = "http_cache"

    url: Mapped[str] = mapped_column(String(512), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(128))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    # X-Pages of a paged resource, so a fresh first page still says how many follow.
    pages: Mapped[int | None] = mapped_column(Integer)


class QueueMessage(Base):
    """A message of the embedded queue; dead letters live in queue '<name>.dead'.

    A message is leasable when `visible_at_ms` has passed: a lease pushes it forward by
    the visibility timeout (so a crashed consumer's messages come back by themselves),
    a retry sets it to the retry time. `attempts` counts leases and guards every ack.
    """

    __tablename__ = "queue_messages"

    message_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    queue: Mapped[str] = mapped_column(String(128))
    # 10 - priority: lower is served first, so one ascending index gives the order.
    rank: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    visible_at_ms: Mapped[int] = mapped_column(BigInteger)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    enqueued_at_ms: Mapped[int] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_queue_messages_next", "queue", "rank", "message_id"),)


class QueueConsumer(Base):
    """A live consumer of the embedded queue, refreshed by its heartbeat (for `status`)."""

    __tablename__ = "queue_consumers"

    consumer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue: Mapped[str] = mapped_column(String(128))
    prefetch: Mapped[int] = mapped_column(Integer)
    seen_at_ms: Mapped[int] = mapped_column(BigInteger)


class Lease(Base):
    """A named lock with an owner and an expiry, e.g. the single scheduler leader."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class JobRun(Base):
    """The last scheduled time each job ran for, so missed runs run once after downtime."""

    __tablename__ = "job_runs"

    job_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_scheduled_for: Mapped[datetime] = mapped_column(UtcDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
