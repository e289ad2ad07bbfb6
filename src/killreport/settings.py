"""One typed Settings object, read once per process and passed down.

Every field is read from an environment variable with the prefix ``KILLREPORT_``
(``database_url`` comes from ``KILLREPORT_DATABASE_URL``) or from a ``.env`` file.
The defaults are the embedded deployment: SQLite, the queue in the database, no Redis.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "KILLREPORT_"

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/killreport.sqlite3"

_DATABASE_SCHEMES = ("sqlite+aiosqlite://", "postgresql+psycopg://")
_BROKER_SCHEMES = ("amqp://", "amqps://")
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_HTTP_SCHEMES = ("http://", "https://")

Url = Annotated[str, Field(min_length=1)]


class SettingsError(ValueError):
    """A setting has a wrong value; the message names the variable and the expected form."""


def _check_scheme(value: str, schemes: tuple[str, ...], form: str) -> str:
    if not value.startswith(schemes):
        raise ValueError(f"expected {form}")
    return value


class Settings(BaseSettings):
    """Everything a KillReport process is configured with."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    # Where data and messages live. Unset broker/redis = embedded deployment.
    database_url: Url = DEFAULT_DATABASE_URL
    broker_url: str | None = None
    redis_url: str | None = None

    # The outside world (the simulator is pointed at by changing these).
    esi_url: Url = "https://esi.evetech.net"
    r2z2_url: Url = "https://r2z2.zkillboard.com"
    zkb_api_url: Url = "https://zkillboard.com/api"
    sso_url: Url = "https://login.eveonline.com"
    # Required before any request reaches a real CCP or zKillboard host (see user_agent.py).
    user_agent_contact: str = ""
    esi_compatibility_date: str = Field("2026-08-18", pattern=r"^\d{4}-\d{2}-\d{2}$")

    # The ESI budget shared by every process of the deployment.
    esi_max_rps: int = Field(50, ge=1, le=1000)
    esi_max_concurrency: int = Field(20, ge=1, le=500)
    esi_error_limit_floor: int = Field(10, ge=1, le=99)
    zkb_api_min_interval_s: float = Field(1.0, ge=0.0, le=60.0)
    # At most esi_max_rps requests in any window of this length: a little over 1 s keeps
    # every calendar second on ESI's side under the cap despite network jitter.
    esi_rps_window_s: float = Field(1.04, ge=1.0, le=2.0)
    esi_retry_attempts: int = Field(4, ge=1, le=20)
    esi_retry_wait_initial_s: float = Field(0.5, ge=0.0, le=60.0)
    esi_retry_wait_max_s: float = Field(10.0, ge=0.0, le=600.0)
    r2z2_min_interval_s: float = Field(0.1, ge=0.0, le=60.0)
    http_timeout_s: float = Field(30.0, gt=0.0, le=600.0)

    # Message bus: the embedded queue's lease and polling, RabbitMQ's reconnection.
    queue_visibility_timeout_s: float = Field(60.0, ge=1.0, le=3600.0)
    queue_poll_interval_s: float = Field(0.5, gt=0.0, le=10.0)
    broker_publish_timeout_s: float = Field(30.0, gt=0.0, le=600.0)
    broker_reconnect_interval_s: float = Field(1.0, gt=0.0, le=60.0)
    broker_management_url: str | None = None

    # EVE SSO and secrets.
    sso_client_id: str = ""
    sso_client_secret: SecretStr = SecretStr("")
    sso_callback_url: str = "http://127.0.0.1:8000/auth/callback"
    secret_key: SecretStr = SecretStr("")
    # Login and sessions (issue 12): characters whose users are admins, comma-separated.
    admin_character_ids: str = Field("", pattern=r"^[0-9,\s]*$")
    sso_login_state_ttl_s: float = Field(600.0, ge=60.0, le=3600.0)
    session_idle_timeout_s: float = Field(14 * 86_400.0, ge=60.0)
    session_max_age_s: float = Field(30 * 86_400.0, ge=60.0)
    jwt_leeway_s: float = Field(30.0, ge=0.0, le=300.0)
    # A user-killmails message works this long, then yields its worker and resumes later.
    user_sync_slice_s: float = Field(40.0, ge=1.0, le=3600.0)

    # Live subscriptions (GraphQL over WebSocket): how often each API process checks the
    # database's latest sequence (catches kills committed by other processes without
    # Redis, and events pub/sub lost), how many unsent killmails a connection may have
    # before it is closed, and the limits per connection and per client address.
    live_poll_interval_s: float = Field(1.0, gt=0.0, le=60.0)
    live_buffer_size: int = Field(200, ge=1, le=100_000)
    live_max_subscriptions_per_connection: int = Field(10, ge=1, le=1000)
    live_max_connections_per_ip: int = Field(20, ge=1, le=100_000)
    live_keepalive_interval_s: float = Field(15.0, gt=0.0, le=600.0)
    # Resuming with afterSequence reads the stored killmails after it; farther back than
    # this many it is refused (the client pages with `killmails` instead).
    live_replay_scan_max: int = Field(20_000, ge=1, le=1_000_000)
    worker_status_poll_interval_s: float = Field(5.0, gt=0.0, le=600.0)

    # Killmails posted by link (`/post/`, `/api/killmail/add/...`): per-IP token bucket.
    killmail_post_per_minute: float = Field(6.0, gt=0.0, le=6000.0)
    killmail_post_burst: int = Field(5, ge=1, le=1000)

    # Process behaviour.
    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    log_json: bool = False
    data_dir: Path = Path("var")

    # Web pages: where portraits, logos and renders come from (the EVE image server).
    image_server_url: Url = "https://images.evetech.net"
    # GraphQL API: guards checked before execution, GraphiQL, error masking, caching.
    graphql_ide: bool = True
    graphql_max_depth: int = Field(20, ge=2, le=200)
    graphql_max_cost: int = Field(25_000, ge=100, le=100_000_000)
    graphql_max_document_bytes: int = Field(65_536, ge=1_024, le=100_000_000)
    graphql_mask_errors: bool = True
    graphql_get_cache_s: int = Field(10, ge=0, le=3_600)
    # Per-client token bucket of the API (Redis when redis_url is set, else in-process);
    # X-Forwarded-For is believed only from these comma-separated proxy IPs or CIDRs.
    api_rate_limit_per_s: float = Field(20.0, gt=0.0, le=1_000_000.0)
    api_rate_limit_burst: int = Field(100, ge=1, le=10_000_000)
    api_trusted_proxies: str = ""

    # Operations: each process's heartbeat (Redis keys with a TTL when redis_url is set,
    # else a table row); the host name it reports (default: this machine's name);
    # the port of its Prometheus metrics (worker, feed, scheduler; unset: none).
    heartbeat_interval_s: float = Field(10.0, gt=0.0, le=600.0)
    heartbeat_stale_after_s: float = Field(30.0, gt=0.0, le=3_600.0)
    process_host: str = ""
    metrics_port: int | None = Field(None, ge=1, le=65535)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return _check_scheme(
            value,
            _DATABASE_SCHEMES,
            "sqlite+aiosqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB",
        )

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        return _check_scheme(value, _BROKER_SCHEMES, "amqp://USER:PASSWORD@HOST:PORT/VHOST")

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        return _check_scheme(value, _REDIS_SCHEMES, "redis://HOST:PORT/DB")

    @field_validator("esi_url", "r2z2_url", "zkb_api_url", "sso_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _check_scheme(value, _HTTP_SCHEMES, "an http:// or https:// URL").rstrip("/")

    @field_validator("image_server_url")
    @classmethod
    def _image_server_url(cls, value: str) -> str:
        return _check_scheme(value, _HTTP_SCHEMES, "an http:// or https:// URL").rstrip("/")

    @property
    def admin_ids(self) -> frozenset[int]:
        """The character ids named in KILLREPORT_ADMIN_CHARACTER_IDS."""
        return frozenset(int(p) for p in self.admin_character_ids.replace(" ", "").split(",") if p)

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def user_agent(self) -> str:
        """The User-Agent sent to ESI and zKillboard, with the operator's contact."""
        from killreport import __version__
        from killreport.user_agent import user_agent

        return user_agent(__version__, self.user_agent_contact.strip())


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; raise SettingsError naming the variable on a bad value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{ENV_PREFIX}{field.upper()}: {message}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from exc
