"""Settings: defaults are the embedded deployment; a wrong value names its variable."""

from __future__ import annotations

import pytest

from killreport.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


def test_defaults_are_the_embedded_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    # given an environment with no KILLREPORT_ variables
    monkeypatch.chdir("/")
    # when the settings are read
    settings = load_settings()
    # then the database is SQLite and there is no broker or Redis
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.is_sqlite
    assert settings.broker_url is None
    assert settings.redis_url is None
    assert settings.esi_url == "https://esi.evetech.net"
    assert settings.esi_max_rps == 50


def test_environment_variables_use_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    # given services URLs in the environment
    monkeypatch.setenv("KILLREPORT_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/x")
    monkeypatch.setenv("KILLREPORT_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
    monkeypatch.setenv("KILLREPORT_ESI_URL", "http://127.0.0.1:9999/esi/")
    monkeypatch.setenv("KILLREPORT_ESI_MAX_RPS", "20")
    # when read
    settings = load_settings()
    # then they are used, the trailing slash of the base URL dropped
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.broker_url == "amqp://guest:guest@127.0.0.1:5672/"
    assert settings.esi_url == "http://127.0.0.1:9999/esi"
    assert settings.esi_max_rps == 20
    assert not settings.is_sqlite


def test_empty_broker_and_redis_mean_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KILLREPORT_BROKER_URL", "")
    monkeypatch.setenv("KILLREPORT_REDIS_URL", "")
    settings = load_settings()
    assert settings.broker_url is None
    assert settings.redis_url is None


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("KILLREPORT_DATABASE_URL", "mysql://root@localhost/x", "sqlite+aiosqlite:///PATH"),
        ("KILLREPORT_BROKER_URL", "http://rabbit", "amqp://USER:PASSWORD@HOST:PORT/VHOST"),
        ("KILLREPORT_REDIS_URL", "localhost:6379", "redis://HOST:PORT/DB"),
        ("KILLREPORT_ESI_MAX_RPS", "0", "greater than or equal to 1"),
        ("KILLREPORT_ESI_MAX_RPS", "fast", "valid integer"),
        ("KILLREPORT_ESI_URL", "esi.evetech.net", "http:// or https://"),
        ("KILLREPORT_LOG_LEVEL", "LOUD", "should match pattern"),
    ],
)
def test_a_wrong_value_names_the_variable_and_the_form(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    # given one wrong value
    monkeypatch.setenv(variable, value)
    # when the settings are read, then the error names the variable and what was expected
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"{variable}:" in message
    assert expected in message
