"""Fixtures: settings for the embedded and the services deployment, on real services.

`settings` is parametrized by `backend`, so a contract test that asks for it runs once
on the embedded deployment (SQLite, embedded queue, in-process events) and once on the
services deployment (PostgreSQL, RabbitMQ, Redis).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from killreport.db import migration
from killreport.db.engine import Database
from killreport.settings import ENV_PREFIX, Settings
from tests.harness import PostgresDatabase, RabbitVhost, RedisDatabase

BACKENDS = ("embedded", "services")


def make_settings(**values: object) -> Settings:
    """Settings for a test: no .env file, nothing from the environment but what is given."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(autouse=True)
def _no_killreport_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No KILLREPORT_* variable of the shell running pytest reaches a test.

    Settings read them, so e.g. KILLREPORT_BROKER_URL made "embedded" tests use RabbitMQ.
    Tests that spawn processes pass the variables those need explicitly.
    """
    for name in [name for name in os.environ if name.startswith(ENV_PREFIX)]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    """One PostgreSQL database for the run, migrated to head, dropped at the end."""
    database = PostgresDatabase.create()
    try:
        migration.upgrade(database.url)
        yield database
    finally:
        database.drop()


@pytest.fixture
def postgres_url(postgres_database: PostgresDatabase) -> str:
    """The run's PostgreSQL database, emptied before the test."""
    postgres_database.truncate_all()
    return postgres_database.url


@pytest.fixture(params=("sqlite", "postgresql"))
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """An empty migrated database for repository and service tests: SQLite, then PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    db = Database.from_url(request.getfixturevalue(name))
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once; tests get copies."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    migration.upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database for this test."""
    path = tmp_path / "killreport.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def broker_url() -> Iterator[str]:
    """A RabbitMQ vhost of this test's own, deleted afterwards."""
    vhost = RabbitVhost.create()
    try:
        yield vhost.url
    finally:
        vhost.delete()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of this test's own, flushed before and after."""
    database = RedisDatabase.claim()
    try:
        yield database.url
    finally:
        database.release()


@pytest.fixture
def embedded_settings(sqlite_url: str, tmp_path: Path) -> Settings:
    """The zero-set-up deployment: SQLite, embedded queue, in-process events and budget."""
    return make_settings(database_url=sqlite_url, data_dir=tmp_path)


@pytest.fixture
def services_settings(
    postgres_url: str, broker_url: str, redis_url: str, tmp_path: Path
) -> Settings:
    """The scale-out deployment: PostgreSQL, RabbitMQ and Redis."""
    return make_settings(
        database_url=postgres_url,
        broker_url=broker_url,
        redis_url=redis_url,
        data_dir=tmp_path,
    )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which deployment a contract test runs on."""
    return str(request.param)


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest) -> Settings:
    """Settings of the deployment chosen by `backend`."""
    name = "embedded_settings" if backend == "embedded" else "services_settings"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use a real service are marked `integration`."""
    service_fixtures = {"postgres_url", "broker_url", "redis_url", "services_settings", "settings"}
    # Fixtures that reach PostgreSQL through getfixturevalue, by parameter: (fixture, value).
    service_params = {("database", "postgresql")}
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        by_param = any(params.get(name) == value for name, value in service_params)
        if by_param or service_fixtures & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
