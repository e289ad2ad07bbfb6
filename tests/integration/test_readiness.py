"""/healthz, /readyz and /metrics; an unreachable dependency is reported by name."""

from __future__ import annotations

import aiohttp
import pytest

from killreport import container as container_module
from killreport.api.app import create_app
from killreport.settings import Settings
from tests.conftest import make_settings
from tests.serving import serve

DEAD_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"
DEAD_BROKER = "amqp://guest:guest@127.0.0.1:1/"
DEAD_REDIS = "redis://127.0.0.1:1/0"


async def _get(settings: Settings, path: str) -> tuple[int, dict[str, object] | str]:
    async with (
        container_module.build(settings) as container,
        serve(create_app(container)) as url,
        aiohttp.ClientSession() as http,
        http.get(url + path) as response,
    ):
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def test_ready_on_each_deployment_names_each_dependency(settings: Settings) -> None:
    # given a deployment whose services all run
    # when /readyz is asked
    status, body = await _get(settings, "/readyz")
    # then it is ready and names every configured dependency
    assert status == 200
    assert isinstance(body, dict)
    assert body["status"] == "ready"
    expected = {"database"} if settings.broker_url is None else {"database", "broker", "redis"}
    assert set(body["checks"]) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("override", "dead"),
    [
        ({"database_url": DEAD_POSTGRES}, "database"),
        ({"broker_url": DEAD_BROKER}, "broker"),
        ({"redis_url": DEAD_REDIS}, "redis"),
    ],
)
async def test_unreachable_dependency_is_not_ready_and_named(
    services_settings: Settings, override: dict[str, str], dead: str
) -> None:
    # given the services deployment with one dependency pointing at a closed port
    settings = make_settings(**{**services_settings.model_dump(), **override})
    # when /readyz is asked
    status, body = await _get(settings, "/readyz")
    # then it answers 503 and says which one is down, while the others are fine
    assert status == 503
    assert isinstance(body, dict)
    assert body["status"] == "not ready"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks[dead]["ok"] is False
    assert checks[dead]["detail"]
    assert all(check["ok"] for name, check in checks.items() if name != dead)


async def test_healthz_and_metrics(embedded_settings: Settings) -> None:
    status, body = await _get(embedded_settings, "/healthz")
    assert status == 200
    assert body == {"status": "ok", "version": "0.1.0"}
    status, text = await _get(embedded_settings, "/metrics")
    assert status == 200
    assert "python_gc_objects_collected_total" in str(text)
