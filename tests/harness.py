"""Real services for tests: a fresh PostgreSQL database, a RabbitMQ vhost, a Redis database.

Every test run gets its own names (the process id and a random suffix), so several runs
on one machine never see each other's data, and everything is removed afterwards.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass

import psycopg
import redis

POSTGRES_ADMIN_URL = os.environ.get(
    "KILLREPORT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_AMQP_ROOT = os.environ.get(
    "KILLREPORT_TEST_AMQP_ROOT", "amqp://guest:guest@127.0.0.1:5672"
)
RABBITMQ_API_URL = os.environ.get("KILLREPORT_TEST_RABBITMQ_API", "http://127.0.0.1:15672/api")
RABBITMQ_API_USER = ("guest", "guest")
REDIS_ROOT = os.environ.get("KILLREPORT_TEST_REDIS_ROOT", "redis://127.0.0.1:6379")
REDIS_TEST_DATABASES = range(1, 16)


def unique_name(prefix: str) -> str:
    """A name no other test run on this machine uses."""
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"


@dataclass
class PostgresDatabase:
    """A database created for this run; dropped by `drop`."""

    name: str

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the database (psycopg 3 driver)."""
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+psycopg://"
        )
        return f"{base}/{self.name}"

    @property
    def plain_url(self) -> str:
        """libpq URL of the database."""
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{self.name}"

    @classmethod
    def create(cls) -> PostgresDatabase:
        """Create an empty database."""
        name = unique_name("kr_test")
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return cls(name)

    def truncate_all(self) -> None:
        """Empty every table except Alembic's version table."""
        with psycopg.connect(self.plain_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            ).fetchall()
            if rows:
                tables = ", ".join(f'"{r[0]}"' for r in rows)
                conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")

    def drop(self) -> None:
        """Drop the database, closing whatever still uses it."""
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _rabbit_api(method: str, path: str, body: dict[str, object] | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{RABBITMQ_API_URL}{path}", data=data, method=method)
    token = base64.b64encode(":".join(RABBITMQ_API_USER).encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        if exc.code == 404 and method == "DELETE":
            return 404
        raise


@dataclass
class RabbitVhost:
    """A RabbitMQ virtual host of our own; deleted by `delete`."""

    name: str

    @property
    def url(self) -> str:
        """AMQP URL of the vhost."""
        return f"{RABBITMQ_AMQP_ROOT}/{self.name}"

    @classmethod
    def create(cls) -> RabbitVhost:
        """Create the vhost and give guest every permission on it."""
        name = unique_name("kr_test")
        _rabbit_api("PUT", f"/vhosts/{name}")
        _rabbit_api(
            "PUT",
            f"/permissions/{name}/guest",
            {"configure": ".*", "write": ".*", "read": ".*"},
        )
        return cls(name)

    def delete(self) -> None:
        """Delete the vhost with every queue in it."""
        _rabbit_api("DELETE", f"/vhosts/{self.name}")


@dataclass
class RedisDatabase:
    """A Redis logical database claimed for this run; flushed on claim and release."""

    index: int

    @property
    def url(self) -> str:
        """Redis URL of the database."""
        return f"{REDIS_ROOT}/{self.index}"

    @classmethod
    def claim(cls) -> RedisDatabase:
        """Claim a free database (1..15) with a lock key in database 0."""
        admin = redis.Redis.from_url(f"{REDIS_ROOT}/0")
        try:
            for index in REDIS_TEST_DATABASES:
                if admin.set(f"killreport:test:db:{index}", os.getpid(), nx=True, ex=3600):
                    redis.Redis.from_url(f"{REDIS_ROOT}/{index}").flushdb()
                    return cls(index)
        finally:
            admin.close()
        raise RuntimeError("no free Redis test database (1..15); stale locks expire in an hour")

    def flush(self) -> None:
        """Remove every key of the database."""
        client = redis.Redis.from_url(self.url)
        try:
            client.flushdb()
        finally:
            client.close()

    def release(self) -> None:
        """Flush the database and give it back."""
        self.flush()
        admin = redis.Redis.from_url(f"{REDIS_ROOT}/0")
        try:
            admin.delete(f"killreport:test:db:{self.index}")
        finally:
            admin.close()
