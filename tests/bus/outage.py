"""A PostgreSQL database going away for a while: new connections refused, open ones ended."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url

from tests.harness import POSTGRES_ADMIN_URL


@contextmanager
def database_closed(url: str) -> Iterator[None]:
    """Refuse new connections to the database of `url` and end the open ones; reopen on exit."""
    name = str(make_url(url).database)
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            yield
        finally:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
