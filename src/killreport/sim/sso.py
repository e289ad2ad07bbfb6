"""Simulated EVE SSO (OAuth2 v2): discovery, authorize page, token, JWKS and revoke routes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import itertools
import logging
import random
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from aiohttp import web
from yarl import URL

from killreport.sim.sso_tokens import (
    EXPIRES_IN_S,
    SigningKeys,
    SsoClaims,
    access_claims,
    claims_of,
    owner_hash,
)

__all__ = ["SsoClaims", "SsoError", "SsoSimulator", "pkce_challenge"]

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/oauth-authorization-server"
AUTHORIZE_PATH = "/v2/oauth/authorize"
TOKEN_PATH = "/v2/oauth/token"
JWKS_PATH = "/oauth/jwks"
REVOKE_PATH = "/v2/oauth/revoke"
CODE_LIFETIME_S = 300.0
# The discovery document names the issuer without a scheme, unlike the tokens' `iss`.
DISCOVERY_ISSUER = "login.eveonline.com"
_FORM_TYPE = "application/x-www-form-urlencoded"
_PAGE_CHARACTERS = 50
_DEAD_REFRESH_TOKEN = "Invalid refresh token. Token missing/expired."
_DEAD_CHARACTER_GRANT = "Invalid refresh token. Character grant missing/expired."


class SsoError(Exception):
    """An OAuth error answered as the real SSO does: status plus an error body."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> web.Response:
        """The JSON error response; 401s name the Basic scheme as RFC 6749 asks."""
        headers = {"WWW-Authenticate": 'Basic realm="eveonline"'} if self.status == 401 else {}
        body = {"error": self.error, "error_description": self.description}
        return web.json_response(body, status=self.status, headers=headers)


@dataclass(frozen=True, slots=True)
class _AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    code_challenge: str | None


@dataclass(frozen=True, slots=True)
class _CodeGrant:
    character_id: int
    client_id: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    issued_at_s: float


@dataclass(frozen=True, slots=True)
class _RefreshGrant:
    character_id: int
    client_id: str
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Client:
    client_id: str
    # False for a native (PKCE) client that sent no secret.
    authenticated: bool


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier: unpadded base64url of its SHA-256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class SsoSimulator:
    """EVE SSO with one registered client, characters taken from the simulated universe."""

    def __init__(
        self,
        characters: Callable[[], Mapping[int, str]],
        *,
        client_id: str = "killreport-sim",
        client_secret: str = "killreport-sim-secret",
        clock: Callable[[], float] = time.time,
        issuer_base: str | None = None,
        redirect_uris: Collection[str] | None = None,
        seed: int | None = None,
    ) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self._characters = characters
        self._clock = clock
        self._issuer_base = issuer_base.rstrip("/") if issuer_base else None
        self._redirect_uris = frozenset(redirect_uris) if redirect_uris is not None else None
        self._keys = SigningKeys(seed)
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self._owner_salt = f"owner:{seed}" if seed is not None else uuid.uuid4().hex
        self._codes: dict[str, _CodeGrant] = {}
        self._refresh_tokens: dict[str, _RefreshGrant] = {}

    def routes(self) -> list[web.AbstractRouteDef]:
        """Routes relative to the mount prefix (e.g. `/sso`)."""
        return [
            web.get(DISCOVERY_PATH, self._discovery),
            web.get(AUTHORIZE_PATH, self._authorize_page),
            web.post(AUTHORIZE_PATH, self._authorize_consent),
            web.post(TOKEN_PATH, self._token),
            web.get(JWKS_PATH, self._jwks),
            web.post(REVOKE_PATH, self._revoke),
        ]

    def jwks(self) -> dict[str, object]:
        """The JWKS document served at `/oauth/jwks`."""
        return self._keys.jwks()

    def verify_access_token(self, token: str) -> SsoClaims | None:
        """Claims of a token this SSO signed (expired ones flagged), or None when invalid."""
        payload = self._keys.decode(token)
        return None if payload is None else claims_of(payload, self._clock())

    def issue_token(self, character_id: int, scopes: Sequence[str]) -> dict[str, object]:
        """A token response for a character without the browser dance."""
        if character_id not in self._characters():
            raise KeyError(f"character {character_id} is not in the simulated universe")
        return self._issue(character_id, tuple(dict.fromkeys(scopes)), self.client_id)

    def revoke_all(self, character_id: int) -> None:
        """Kill every refresh token and pending code of a character."""
        self._refresh_tokens = {
            token: grant
            for token, grant in self._refresh_tokens.items()
            if grant.character_id != character_id
        }
        self._codes = {
            code: grant for code, grant in self._codes.items() if grant.character_id != character_id
        }
        logger.info("sso revoked all grants character_id=%d", character_id)

    # -- routes ---------------------------------------------------------------------------

    async def _discovery(self, request: web.Request) -> web.Response:
        base = self._issuer_base or (
            str(request.url.origin()) + request.path.removesuffix(DISCOVERY_PATH)
        )
        auth_methods = ["client_secret_basic", "client_secret_post", "client_secret_jwt"]
        document = {
            "issuer": DISCOVERY_ISSUER,
            "authorization_endpoint": base + AUTHORIZE_PATH,
            "token_endpoint": base + TOKEN_PATH,
            "response_types_supported": ["code", "token"],
            "jwks_uri": base + JWKS_PATH,
            "revocation_endpoint": base + REVOKE_PATH,
            "revocation_endpoint_auth_methods_supported": auth_methods,
            "token_endpoint_auth_methods_supported": auth_methods,
            "token_endpoint_auth_signing_alg_values_supported": ["HS256"],
            "code_challenge_methods_supported": ["S256"],
        }
        return web.json_response(document)

    async def _jwks(self, request: web.Request) -> web.Response:
        return web.json_response(self._keys.jwks())

    async def _authorize_page(self, request: web.Request) -> web.Response:
        try:
            auth = self._authorization_request(request.query)
        except SsoError as exc:
            return _error_page(exc)
        if "character_id" in request.query:
            return self._consent(auth, request.query["character_id"])
        return self._character_page(request, auth)

    async def _authorize_consent(self, request: web.Request) -> web.Response:
        try:
            params = {**request.query, **await _form(request)}
            auth = self._authorization_request(params)
        except SsoError as exc:
            return _error_page(exc)
        return self._consent(auth, str(params.get("character_id", "")))

    async def _token(self, request: web.Request) -> web.Response:
        try:
            form = await _form(request)
            client = self._client(request, form)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                body = self._exchange_code(form, client)
            elif grant_type == "refresh_token":
                body = self._refresh(form, client)
            else:
                raise SsoError(400, "unsupported_grant_type", f"Unsupported grant {grant_type!r}.")
        except SsoError as exc:
            logger.info("sso token refused error=%s description=%s", exc.error, exc.description)
            return exc.response()
        return web.json_response(body)

    async def _revoke(self, request: web.Request) -> web.Response:
        try:
            form = await _form(request)
            self._client(request, form)
            token = form.get("token")
            if not token:
                raise SsoError(400, "invalid_request", "The token parameter is required.")
        except SsoError as exc:
            return exc.response()
        grant = self._refresh_tokens.pop(token, None)
        if grant is not None:
            logger.info("sso revoked refresh token character_id=%d", grant.character_id)
        # The real endpoint answers 200 whether or not the token was alive.
        return web.Response(status=200)

    # -- authorize ------------------------------------------------------------------------

    def _authorization_request(self, params: Mapping[str, str]) -> _AuthorizationRequest:
        def text(name: str) -> str:
            return params.get(name, "")

        if text("client_id") != self.client_id:
            raise SsoError(400, "invalid_client", "Unknown client_id.")
        redirect_uri = text("redirect_uri")
        if self._redirect_uris is not None:
            if redirect_uri not in self._redirect_uris:
                raise SsoError(400, "invalid_request", "redirect_uri is not registered.")
        elif URL(redirect_uri).scheme not in ("http", "https") or not URL(redirect_uri).host:
            raise SsoError(400, "invalid_request", "redirect_uri must be an absolute URL.")
        if text("response_type") != "code":
            raise SsoError(400, "unsupported_response_type", "response_type must be code.")
        if not text("state"):
            raise SsoError(400, "invalid_request", "The state parameter is required.")
        challenge = text("code_challenge") or None
        method = text("code_challenge_method")
        if challenge is not None and method != "S256":
            raise SsoError(400, "invalid_request", "code_challenge_method must be S256.")
        if challenge is None and method:
            raise SsoError(400, "invalid_request", "code_challenge_method without code_challenge.")
        return _AuthorizationRequest(
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            scopes=tuple(dict.fromkeys(text("scope").split())),
            state=text("state"),
            code_challenge=challenge,
        )

    def _consent(self, auth: _AuthorizationRequest, character: str) -> web.Response:
        character_id = int(character) if character.isdigit() else 0
        if character_id not in self._characters():
            return _error_page(SsoError(400, "invalid_request", "Unknown character."))
        now_s = self._clock()
        # Drop lapsed codes so a long benchmark run does not pile them up.
        self._codes = {
            code: grant
            for code, grant in self._codes.items()
            if now_s - grant.issued_at_s <= CODE_LIFETIME_S
        }
        code = base64.urlsafe_b64encode(self._rng.randbytes(16)).decode().rstrip("=")
        self._codes[code] = _CodeGrant(
            character_id=character_id,
            client_id=auth.client_id,
            scopes=auth.scopes,
            code_challenge=auth.code_challenge,
            issued_at_s=now_s,
        )
        logger.info("sso consent character_id=%d scopes=%d", character_id, len(auth.scopes))
        location = URL(auth.redirect_uri).update_query(code=code, state=auth.state)
        raise web.HTTPFound(location=str(location))

    def _character_page(self, request: web.Request, auth: _AuthorizationRequest) -> web.Response:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in request.query.items()
        )
        buttons = "".join(
            f'<li><button name="character_id" value="{cid}">{html.escape(name)}</button></li>'
            for cid, name in itertools.islice(self._characters().items(), _PAGE_CHARACTERS)
        )
        scopes = html.escape(" ".join(auth.scopes)) or "(no scopes)"
        page = (
            "<!doctype html><html><head><title>EVE SSO (simulated)</title></head><body>"
            f"<h1>Log in with EVE Online</h1><p>Scopes requested: {scopes}</p>"
            f'<form method="post" action="{html.escape(request.path)}">{hidden}'
            f"<ul>{buttons}</ul>"
            '<label>Character id <input name="character_id" inputmode="numeric"></label>'
            "<button>Authorize</button></form></body></html>"
        )
        return web.Response(text=page, content_type="text/html")

    # -- token ----------------------------------------------------------------------------

    def _client(self, request: web.Request, form: Mapping[str, str]) -> _Client:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                decoded = base64.b64decode(header.removeprefix("Basic "), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise SsoError(401, "invalid_client", "Malformed Basic credentials.") from exc
            basic_id, _, basic_secret = decoded.partition(":")
            return self._check_secret(basic_id, basic_secret)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if client_id is not None and secret is not None:
            return self._check_secret(client_id, secret)
        if client_id == self.client_id:
            return _Client(client_id=self.client_id, authenticated=False)
        raise SsoError(401, "invalid_client", "Client authentication failed.")

    def _check_secret(self, client_id: str, secret: str) -> _Client:
        if client_id == self.client_id and hmac.compare_digest(secret, self._client_secret):
            return _Client(client_id=client_id, authenticated=True)
        raise SsoError(401, "invalid_client", "Client authentication failed.")

    def _exchange_code(self, form: Mapping[str, str], client: _Client) -> dict[str, object]:
        code = form.get("code")
        # Any attempt spends the code, so a wrong verifier cannot be retried.
        grant = self._codes.pop(code, None) if code is not None else None
        if (
            grant is None
            or self._clock() - grant.issued_at_s > CODE_LIFETIME_S
            or grant.client_id != client.client_id
        ):
            raise SsoError(400, "invalid_grant", "Invalid authorization code.")
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier")
            if verifier is None or not hmac.compare_digest(
                pkce_challenge(verifier), grant.code_challenge
            ):
                raise SsoError(400, "invalid_grant", "Invalid code verifier.")
        elif not client.authenticated:
            raise SsoError(401, "invalid_client", "Client authentication failed.")
        return self._issue(grant.character_id, grant.scopes, client.client_id)

    def _refresh(self, form: Mapping[str, str], client: _Client) -> dict[str, object]:
        token = form.get("refresh_token")
        grant = self._refresh_tokens.get(token) if token is not None else None
        if token is None or grant is None or grant.client_id != client.client_id:
            raise SsoError(400, "invalid_grant", _DEAD_REFRESH_TOKEN)
        scopes = grant.scopes
        requested = form.get("scope")
        if requested is not None and requested.strip():
            scopes = tuple(dict.fromkeys(requested.split()))
            if not set(scopes) <= set(grant.scopes):
                raise SsoError(400, "invalid_scope", "Requested scopes exceed the grant.")
        # Rotation: the presented refresh token dies whatever happens next.
        del self._refresh_tokens[token]
        if grant.character_id not in self._characters():
            raise SsoError(400, "invalid_grant", _DEAD_CHARACTER_GRANT)
        # The new refresh token keeps the whole grant; only the access token narrows.
        return self._issue(grant.character_id, scopes, client.client_id, grant.scopes)

    def _issue(
        self,
        character_id: int,
        scopes: tuple[str, ...],
        client_id: str,
        granted: tuple[str, ...] | None = None,
    ) -> dict[str, object]:
        claims = access_claims(
            character_id=character_id,
            character_name=self._characters()[character_id],
            scopes=scopes,
            client_id=client_id,
            owner=owner_hash(character_id, self._owner_salt),
            jti=uuid.UUID(int=self._rng.getrandbits(128), version=4),
            issued_at_s=int(self._clock()),
        )
        body: dict[str, object] = {
            "access_token": self._keys.sign(claims),
            "expires_in": EXPIRES_IN_S,
            "token_type": "Bearer",
        }
        granted = scopes if granted is None else granted
        # The real SSO issues refresh tokens only when scopes were requested.
        if granted:
            refresh_token = base64.b64encode(self._rng.randbytes(18)).decode()
            self._refresh_tokens[refresh_token] = _RefreshGrant(character_id, client_id, granted)
            body["refresh_token"] = refresh_token
        logger.info("sso issued token character_id=%d scopes=%d", character_id, len(scopes))
        return body


async def _form(request: web.Request) -> dict[str, str]:
    """The form body; the real SSO has refused JSON bodies since November 2021."""
    if request.content_type != _FORM_TYPE:
        raise SsoError(400, "invalid_request", f"Content-Type must be {_FORM_TYPE}.")
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}


def _error_page(error: SsoError) -> web.Response:
    text = html.escape(f"{error.error}: {error.description}")
    page = f"<!doctype html><html><body><h1>Login failed</h1><p>{text}</p></body></html>"
    return web.Response(status=error.status, text=page, content_type="text/html")
