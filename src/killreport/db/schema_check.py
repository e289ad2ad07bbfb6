"""Is the database at the newest migration? Answered without loading Alembic.

Every process checks this at start; Alembic (with Mako and Pygments behind it) costs a
good part of a second to import, which `killreport status` would pay on every call. The
head is read from the revision files themselves; a test holds it equal to Alembic's.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from killreport.db.engine import Database
from killreport.db.errors import SchemaOutOfDate

logger = logging.getLogger(__name__)

VERSIONS_DIR = Path(__file__).with_name("migrations") / "versions"
_REVISION = re.compile(r'^revision: str = "([^"]+)"', re.MULTILINE)
_DOWN_REVISION = re.compile(r'^down_revision: str \| None = (?:"([^"]+)"|None)', re.MULTILINE)


@functools.cache
def head_revision() -> str | None:
    """The newest revision shipped: the one no other revision names as its parent."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = _REVISION.search(source)
        if revision is None:
            continue
        revisions.add(revision.group(1))
        parent = _DOWN_REVISION.search(source)
        if parent is not None and parent.group(1):
            parents.add(parent.group(1))
    heads = sorted(revisions - parents)
    if len(heads) > 1:
        raise RuntimeError(f"migrations have several heads: {', '.join(heads)}")
    return heads[0] if heads else None


async def current_revision(database: Database) -> str | None:
    """The revision the database is at; None when it has never been migrated."""
    async with database.engine.connect() as conn:
        exists = await conn.run_sync(
            lambda sync_conn: sync_conn.dialect.has_table(sync_conn, "alembic_version")
        )
        if not exists:
            return None
        value = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        return None if value is None else str(value)


async def check_schema(database: Database) -> None:
    """Raise SchemaOutOfDate unless the database is at head; an unreachable one passes.

    An unreachable database is not this check's business: /readyz and the first query
    report it by name, and a process may start before its database does.
    """
    try:
        current = await current_revision(database)
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("schema revision not checked, database unreachable: %s", exc)
        return
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(current=current, head=head)
