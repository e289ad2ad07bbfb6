"""The EVE SSO v2 client: discovery, authorize URL with PKCE S256, code exchange,
refresh and revoke, and the JWKS, all cached per process (esi-facts §7)."""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson

from killreport.sso.errors import InvalidGrant, LoginRefused, SsoUnavailable
from killreport.user_agent import missing_contact_message, needs_contact

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/oauth-authorization-server"
KILLMAIL_SCOPE = "esi-killmails.read_killmails.v1"
CORPORATION_KILLMAIL_SCOPE = "esi-killmails.read_corporation_killmails.v1"
# An unknown `kid` refetches the JWKS, but not more often than this.
JWKS_REFETCH_MIN_S = 60.0
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True, slots=True)
class TokenSet:
    """A token response; the tokens are kept out of repr so no log line can show them."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime


def pkce_pair() -> tuple[str, str]:
    """A PKCE verifier (base64url of 32 random bytes, as CCP's snippet) and its S256 challenge."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class SsoConfig:
    """Who this application is to EVE SSO."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    callback_url: str
    user_agent: str
    contact: str = ""
    timeout_s: float = 30.0


class SsoClient:
    """Talks to EVE SSO over the process's aiohttp session."""

    def __init__(self, http: aiohttp.ClientSession, config: SsoConfig) -> None:
        self.http = http
        self.config = config
        self._discovery: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None
        self._jwks_fetched_s = 0.0

    async def _request(
        self, method: str, url: str, *, form: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        if not self.config.contact and needs_contact(url):
            raise SsoUnavailable(missing_contact_message(url))
        headers = {"User-Agent": self.config.user_agent, "Accept": "application/json"}
        if form is not None:
            headers |= _FORM
            if self.config.client_secret:
                credentials = f"{self.config.client_id}:{self.config.client_secret}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
            else:
                form = {**form, "client_id": self.config.client_id}
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_s)
        try:
            async with self.http.request(
                method, url, data=urlencode(form) if form else None, headers=headers,
                timeout=timeout,
            ) as response:  # fmt: skip
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SsoUnavailable(f"EVE SSO did not answer ({type(exc).__name__})") from exc
        try:
            decoded = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            decoded = None
        if status >= 500:
            raise SsoUnavailable(f"EVE SSO answered HTTP {status}")
        return status, decoded

    async def discovery(self) -> dict[str, Any]:
        """The authorization server metadata (cached for the process)."""
        if self._discovery is None:
            status, body = await self._request("GET", self.config.base_url + DISCOVERY_PATH)
            if status != 200 or not isinstance(body, dict):
                raise SsoUnavailable(f"EVE SSO discovery answered HTTP {status}")
            self._discovery = body
        return self._discovery

    async def jwks(self, refetch: bool = False) -> dict[str, Any]:
        """The signing keys; `refetch` asks again (at most once a minute) for a new `kid`."""
        stale = refetch and time.monotonic() - self._jwks_fetched_s >= JWKS_REFETCH_MIN_S
        if self._jwks is None or stale:
            url = str((await self.discovery())["jwks_uri"])
            status, body = await self._request("GET", url)
            if status != 200 or not isinstance(body, dict):
                raise SsoUnavailable(f"EVE SSO JWKS answered HTTP {status}")
            self._jwks, self._jwks_fetched_s = body, time.monotonic()
            logger.info("fetched EVE SSO JWKS (%d keys)", len(body.get("keys", [])))
        return self._jwks

    async def authorize_url(self, state: str, challenge: str, scopes: Collection[str]) -> str:
        """Where the browser goes to log in."""
        endpoint = str((await self.discovery())["authorization_endpoint"])
        query = {
            "response_type": "code",
            "redirect_uri": self.config.callback_url,
            "client_id": self.config.client_id,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{endpoint}?{urlencode(query)}"

    async def _token(self, form: dict[str, str], now: datetime) -> TokenSet:
        endpoint = str((await self.discovery())["token_endpoint"])
        status, body = await self._request("POST", endpoint, form=form)
        if status == 200 and isinstance(body, dict) and isinstance(body.get("access_token"), str):
            refresh = body.get("refresh_token")
            expires_in = body.get("expires_in")
            lifetime_s = float(expires_in) if isinstance(expires_in, int | float) else 1199.0
            return TokenSet(
                access_token=body["access_token"],
                refresh_token=refresh if isinstance(refresh, str) else None,
                expires_at=now + timedelta(seconds=lifetime_s),
            )
        error = body.get("error") if isinstance(body, dict) else None
        description = body.get("error_description") if isinstance(body, dict) else None
        if error == "invalid_grant":
            raise InvalidGrant(str(description or "invalid_grant"))
        raise SsoUnavailable(f"EVE SSO token endpoint answered HTTP {status} {error or ''}")

    async def exchange_code(self, code: str, verifier: str) -> TokenSet:
        """Trade an authorization code (single use) for tokens."""
        form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
        try:
            return await self._token(form, datetime.now(UTC))
        except InvalidGrant as exc:
            raise LoginRefused(
                "EVE SSO refused the login code (already used or expired); log in again"
            ) from exc

    async def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens for a refresh token (which may rotate); InvalidGrant when it is dead."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return await self._token(form, datetime.now(UTC))

    async def revoke(self, refresh_token: str) -> None:
        """Revoke a refresh token (the endpoint answers 200 whether or not it was alive)."""
        endpoint = (await self.discovery()).get("revocation_endpoint")
        if isinstance(endpoint, str):
            form = {"token_type_hint": "refresh_token", "token": refresh_token}
            await self._request("POST", endpoint, form=form)
