"""The HTTP cache: ETag, Last-Modified and Expires of ESI resources in the `http_cache` table.

An unexpired resource is served from here without a request; an expired one is
revalidated with If-None-Match / If-Modified-Since, so an unchanged one costs a 304.
The cache owns its short transactions: it is the client's state, not the caller's.
A database error never leaves the ESI client: that call goes without the cache (logged),
since a request ESI can answer must not fail because its validators could not be read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from killreport.db.dialect import upsert
from killreport.db.engine import Database
from killreport.db.tables.ops import HttpCache as HttpCacheRow

logger = logging.getLogger(__name__)

_URL_MAX = 512


def parse_http_date(value: str | None) -> datetime | None:
    """An aware UTC datetime from an RFC 1123 header value, None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else None


@dataclass(frozen=True, slots=True)
class CachedResource:
    """What is known of one URL."""

    url: str
    etag: str | None
    last_modified: str | None
    expires_at: datetime | None
    body: bytes | None
    pages: int | None

    def is_fresh(self, now: datetime) -> bool:
        """True while ESI says the data cannot have changed (and we hold the body)."""
        return self.body is not None and self.expires_at is not None and self.expires_at > now


class HttpCache:
    """Validators and bodies per URL, in the database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def cacheable(url: str) -> bool:
        """True when the URL fits the table's key."""
        return len(url) <= _URL_MAX

    async def get(self, url: str) -> CachedResource | None:
        """The cached resource for a URL; None when absent or the database fails (logged)."""
        try:
            async with self.database.reading() as session:
                row = (
                    await session.execute(select(HttpCacheRow).where(HttpCacheRow.url == url))
                ).scalar_one_or_none()
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("http cache unreadable for %s, requesting without it: %s", url, exc)
            return None
        if row is None:
            return None
        return CachedResource(
            url=row.url,
            etag=row.etag,
            last_modified=row.last_modified,
            expires_at=row.expires_at,
            body=row.body,
            pages=row.pages,
        )

    async def store(self, resource: CachedResource, fetched_at: datetime) -> None:
        """Insert or replace a URL's validators and body."""
        values = {
            "url": resource.url,
            "etag": resource.etag,
            "last_modified": resource.last_modified,
            "expires_at": resource.expires_at,
            "fetched_at": fetched_at,
            "body": resource.body,
            "pages": resource.pages,
        }
        table = HttpCacheRow.__table__
        try:
            async with self.database.transaction() as session:
                await session.execute(upsert(self.database.dialect, table, key=["url"]), [values])  # type: ignore[arg-type]
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("http cache not stored for %s: %s", resource.url, exc)

    async def refresh(self, url: str, expires_at: datetime | None, fetched_at: datetime) -> None:
        """Record a 304: same body and validators, a new expiry."""
        try:
            async with self.database.transaction() as session:
                await session.execute(
                    update(HttpCacheRow)
                    .where(HttpCacheRow.url == url)
                    .values(expires_at=expires_at, fetched_at=fetched_at)
                )
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("http cache expiry not refreshed for %s: %s", url, exc)
