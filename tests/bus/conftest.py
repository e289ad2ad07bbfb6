"""Bus fixtures: the contract tests run on three backends.

`embedded` (SQLite + embedded queue) and `services` (PostgreSQL + RabbitMQ) as
everywhere, plus `embedded-postgres`: the embedded queue on PostgreSQL (SKIP LOCKED).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from killreport.container import Container, build
from killreport.settings import Settings
from tests.conftest import BACKENDS, make_settings

QUEUE_BACKENDS = (*BACKENDS, "embedded-postgres")


@pytest.fixture(params=QUEUE_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which deployment a bus contract test runs on."""
    return str(request.param)


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings of the chosen backend, with short leases and polls so tests stay quick."""
    if backend == "embedded-postgres":
        base = make_settings(
            database_url=request.getfixturevalue("postgres_url"), data_dir=tmp_path
        )
    else:
        name = "embedded_settings" if backend == "embedded" else "services_settings"
        base = request.getfixturevalue(name)
    return make_settings(
        **{
            **base.model_dump(),
            "queue_visibility_timeout_s": 2.0,
            "queue_poll_interval_s": 0.05,
            "broker_publish_timeout_s": 60.0,
        }
    )


@pytest.fixture
async def container(settings: Settings) -> AsyncIterator[Container]:
    """The container of the chosen backend; its bus is the one under test."""
    async with build(settings) as built:
        yield built
