"""Simulated EVE SSO: code flows (Basic and PKCE), rotation, revoke, JWTs checked against JWKS."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from pytest_aiohttp import AiohttpClient
from yarl import URL

from killreport.sim.sso import SsoSimulator
from killreport.sim.sso_tokens import SigningKeys

CLIENT_ID = "killreport-sim"
SECRET = "killreport-sim-secret"
KILLMAIL_SCOPES = ("esi-killmails.read_killmails.v1", "esi-killmails.read_corporation_killmails.v1")
CALLBACK = "http://127.0.0.1:8000/auth/callback"
# Real pairs: from a decoded 2023 token and from the SSO docs' example payload.
CHARACTERS = {458639815: "Erich Benford", 123123: "Some Bloke"}
# The claim names of a real token (data/sso/jwt_examples.json, payload_real_2023).
REAL_CLAIM_NAMES = {
    "scp", "jti", "kid", "sub", "azp", "tenant", "tier", "region",
    "aud", "name", "owner", "exp", "iat", "iss",
}  # fmt: skip
DEAD_REFRESH = {
    "error": "invalid_grant",
    "error_description": "Invalid refresh token. Token missing/expired.",
}


def basic(client_id: str, secret: str) -> dict[str, str]:
    """The Authorization header of a web app: Basic base64(client_id:secret)."""
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


BASIC = basic(CLIENT_ID, SECRET)


class Clock:
    """A settable clock so code and token lifetimes can be crossed instantly."""

    def __init__(self) -> None:
        self.now_s = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def universe() -> dict[int, str]:
    return dict(CHARACTERS)


@pytest.fixture
def sso(clock: Clock, universe: dict[int, str]) -> SsoSimulator:
    return SsoSimulator(lambda: universe, clock=clock)


@pytest.fixture
async def client(sso: SsoSimulator, aiohttp_client: AiohttpClient) -> TestClient[Any, Any]:
    """The SSO mounted under /sso of a bare application, as the simulator server does."""
    sso_app = web.Application()
    sso_app.add_routes(sso.routes())
    app = web.Application()
    app.add_subapp("/sso", sso_app)
    return await aiohttp_client(app)


def pkce_pair() -> tuple[str, str]:
    """Verifier and S256 challenge exactly as CCP's snippet makes them."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().replace("=", "")


def served_keys(sso: SsoSimulator) -> KeySet:
    """The simulator's JWKS as a joserfc key set, as a client would load it."""
    return KeySet.import_key_set(sso.jwks())  # type: ignore[arg-type]


async def authorize(
    client: TestClient[Any, Any], character_id: int, challenge: str | None = None, **extra: str
) -> tuple[str, str]:
    """Run the authorize step for a character; return (code, state) from the redirect."""
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": " ".join(KILLMAIL_SCOPES),
        "state": "st-" + secrets.token_hex(4),
        "character_id": str(character_id),
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    params |= extra
    response = await client.get("/sso/v2/oauth/authorize", params=params, allow_redirects=False)
    assert response.status == 302, await response.text()
    location = URL(response.headers["Location"])
    assert str(location.with_query(None)) == CALLBACK
    assert location.query["state"] == params["state"]
    return location.query["code"], location.query["state"]


async def exchange(client: TestClient[Any, Any], code: str) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        "/sso/v2/oauth/token",
        data={"grant_type": "authorization_code", "code": code},
        headers=BASIC,
    )
    return response.status, await response.json()


async def refresh(
    client: TestClient[Any, Any], refresh_token: str, **form: str
) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        "/sso/v2/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token, **form},
        headers=None if "client_id" in form else BASIC,
    )
    return response.status, await response.json()


async def test_discovery_points_at_the_mounted_simulator(client: TestClient[Any, Any]) -> None:
    # given the SSO mounted under /sso
    # when the discovery document is fetched
    response = await client.get("/sso/.well-known/oauth-authorization-server")
    document = await response.json()
    # then every endpoint is an absolute URL on this server under the prefix
    base = str(client.make_url("/sso"))
    assert document["issuer"] == "login.eveonline.com"
    assert document["authorization_endpoint"] == base + "/v2/oauth/authorize"
    assert document["token_endpoint"] == base + "/v2/oauth/token"
    assert document["jwks_uri"] == base + "/oauth/jwks"
    assert document["revocation_endpoint"] == base + "/v2/oauth/revoke"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code", "token"]


async def test_web_code_flow_gives_a_jwt_valid_against_the_served_jwks(
    client: TestClient[Any, Any], clock: Clock
) -> None:
    # given the authorize page, which lists the universe's characters
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": " ".join(KILLMAIL_SCOPES),
        "state": "abc123",
    }
    page = await client.get("/sso/v2/oauth/authorize", params=query)
    html = await page.text()
    assert page.status == 200
    assert "Erich Benford" in html and 'value="458639815"' in html
    # when a person picks a character (the form posts back) and the app swaps the code
    consent = await client.post(
        "/sso/v2/oauth/authorize",
        params=query,
        data={"character_id": "458639815"},
        allow_redirects=False,
    )
    location = URL(consent.headers["Location"])
    assert consent.status == 302 and location.query["state"] == "abc123"
    status, body = await exchange(client, location.query["code"])
    # then the token response has the real shape
    assert status == 200
    assert list(body) == ["access_token", "expires_in", "token_type", "refresh_token"]
    assert body["expires_in"] == 1199 and body["token_type"] == "Bearer"
    assert re.fullmatch(r"[A-Za-z0-9+/]{24}", body["refresh_token"])
    # and the access token verifies against the JWKS the simulator serves
    jwks = await (await client.get("/sso/oauth/jwks")).json()
    assert [(k["kid"], k["alg"]) for k in jwks["keys"]] == [
        ("JWT-Signature-Key", "RS256"),
        ("8878a23f-2489-4045-989e-4d2f3ec1ae1a", "ES256"),
    ]
    token = jwt.decode(body["access_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    claims = token.claims
    assert token.header == {"alg": "RS256", "kid": "JWT-Signature-Key", "typ": "JWT"}
    assert set(claims) == REAL_CLAIM_NAMES
    assert claims["iss"] == "https://login.eveonline.com"
    assert claims["aud"] == [CLIENT_ID, "EVE Online"]
    assert claims["sub"] == "CHARACTER:EVE:458639815"
    assert claims["name"] == "Erich Benford"
    assert claims["scp"] == list(KILLMAIL_SCOPES)
    assert (claims["azp"], claims["tenant"], claims["tier"]) == (CLIENT_ID, "tranquility", "live")
    assert claims["iat"] == int(clock.now_s) and claims["exp"] - claims["iat"] == 1200
    assert re.fullmatch(r"[A-Za-z0-9+/]{27}=", claims["owner"])


async def test_pkce_flow_rejects_a_wrong_verifier_and_accepts_the_right_one(
    client: TestClient[Any, Any], sso: SsoSimulator
) -> None:
    # given a code bound to a PKCE challenge
    verifier, challenge = pkce_pair()
    code, _ = await authorize(client, 123123, challenge)
    # when it is swapped with another verifier and no secret
    wrong = await client.post(
        "/sso/v2/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "code_verifier": pkce_pair()[0],
        },
    )
    # then it is refused
    assert wrong.status == 400
    assert (await wrong.json())["error"] == "invalid_grant"
    # when a fresh code is swapped with the right verifier
    code, _ = await authorize(client, 123123, challenge)
    right = await client.post(
        "/sso/v2/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "code_verifier": verifier,
        },
    )
    body = await right.json()
    # then tokens come back for that character, and a native refresh (client_id only) works
    assert right.status == 200
    claims = sso.verify_access_token(body["access_token"])
    assert claims is not None
    assert (claims.character_id, claims.character_name) == (123123, "Some Bloke")
    assert claims.scopes == frozenset(KILLMAIL_SCOPES)
    status, refreshed = await refresh(client, body["refresh_token"], client_id=CLIENT_ID)
    assert status == 200 and refreshed["refresh_token"] != body["refresh_token"]


async def test_a_code_is_single_use_and_dies_after_five_minutes(
    client: TestClient[Any, Any], clock: Clock
) -> None:
    # given a code already swapped once
    code, _ = await authorize(client, 458639815)
    assert (await exchange(client, code))[0] == 200
    # when it is swapped again
    status, body = await exchange(client, code)
    # then invalid_grant
    assert (status, body["error"]) == (400, "invalid_grant")
    # and a fresh code kept past 300 s is refused too
    late_code, _ = await authorize(client, 458639815)
    clock.now_s += 301
    status, body = await exchange(client, late_code)
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_refresh_rotates_and_the_old_token_dies(client: TestClient[Any, Any]) -> None:
    # given a token response from the code flow
    code, _ = await authorize(client, 458639815)
    first = (await exchange(client, code))[1]
    # when refreshed
    status, second = await refresh(client, first["refresh_token"])
    # then a new pair comes back and the old refresh token is dead with the real body
    assert status == 200
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert await refresh(client, first["refresh_token"]) == (400, DEAD_REFRESH)
    assert (await refresh(client, second["refresh_token"]))[0] == 200


async def test_refresh_may_narrow_scopes_but_not_widen_them(
    client: TestClient[Any, Any], sso: SsoSimulator
) -> None:
    # given a grant for the two killmail scopes
    token = sso.issue_token(458639815, KILLMAIL_SCOPES)
    # when refreshed for one of them
    status, narrowed = await refresh(client, str(token["refresh_token"]), scope=KILLMAIL_SCOPES[0])
    # then the access token carries that single scope (as a bare string in the JWT)
    claims = sso.verify_access_token(narrowed["access_token"])
    assert status == 200 and claims is not None
    assert claims.scopes == frozenset({KILLMAIL_SCOPES[0]})
    assert (
        jwt.decode(narrowed["access_token"], served_keys(sso)).claims["scp"] == (KILLMAIL_SCOPES[0])
    )
    # and asking for a scope never granted is refused without spending the token
    status, body = await refresh(client, narrowed["refresh_token"], scope="esi-wallet.v1")
    assert (status, body["error"]) == (400, "invalid_scope")
    assert (await refresh(client, narrowed["refresh_token"]))[0] == 200


async def test_revoke_kills_the_refresh_token(
    client: TestClient[Any, Any], sso: SsoSimulator
) -> None:
    # given a refresh token
    refresh_token = str(sso.issue_token(123123, KILLMAIL_SCOPES)["refresh_token"])
    # when revoked with Basic auth
    response = await client.post(
        "/sso/v2/oauth/revoke",
        data={"token_type_hint": "refresh_token", "token": refresh_token},
        headers=BASIC,
    )
    # then 200, and the token can no longer be used
    assert response.status == 200
    assert await refresh(client, refresh_token) == (400, DEAD_REFRESH)
    # and revoking it again is still 200, as the real endpoint always answers
    again = await client.post("/sso/v2/oauth/revoke", data={"token": refresh_token}, headers=BASIC)
    assert again.status == 200


async def test_revoke_all_and_a_vanished_character_end_the_grants(
    client: TestClient[Any, Any], sso: SsoSimulator, universe: dict[int, str]
) -> None:
    # given tokens for two characters
    bloke = str(sso.issue_token(123123, KILLMAIL_SCOPES)["refresh_token"])
    erich = str(sso.issue_token(458639815, KILLMAIL_SCOPES)["refresh_token"])
    # when one character's grants are revoked and the other leaves the universe
    sso.revoke_all(123123)
    del universe[458639815]
    # then both refreshes fail with the real invalid_grant bodies
    assert await refresh(client, bloke) == (400, DEAD_REFRESH)
    status, body = await refresh(client, erich)
    assert (status, body["error_description"]) == (
        400,
        "Invalid refresh token. Character grant missing/expired.",
    )


async def test_json_bodies_are_rejected(client: TestClient[Any, Any], sso: SsoSimulator) -> None:
    # given a live refresh token
    refresh_token = str(sso.issue_token(123123, KILLMAIL_SCOPES)["refresh_token"])
    # when sent as JSON instead of a form
    response = await client.post(
        "/sso/v2/oauth/token",
        json={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=BASIC,
    )
    # then 400 invalid_request, and the token was not spent
    assert response.status == 400
    assert (await response.json())["error"] == "invalid_request"
    assert (await refresh(client, refresh_token))[0] == 200


async def test_a_wrong_client_secret_is_401(
    client: TestClient[Any, Any], sso: SsoSimulator
) -> None:
    # given a live refresh token
    refresh_token = str(sso.issue_token(123123, KILLMAIL_SCOPES)["refresh_token"])
    # when presented with a wrong secret
    response = await client.post(
        "/sso/v2/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=basic(CLIENT_ID, "not-the-secret"),
    )
    # then 401 invalid_client with an error body and the Basic challenge
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert await response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed.",
    }


async def test_a_code_without_pkce_needs_the_secret(client: TestClient[Any, Any]) -> None:
    # given a code issued without a challenge
    code, _ = await authorize(client, 123123)
    # when a native client swaps it with only its client_id
    response = await client.post(
        "/sso/v2/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
    )
    # then the client is not authenticated
    assert response.status == 401
    assert (await response.json())["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"client_id": "someone-else"}, "Unknown client_id."),
        ({"response_type": "token"}, "response_type must be code."),
        ({"redirect_uri": "not a url"}, "redirect_uri must be an absolute URL."),
        ({"state": ""}, "The state parameter is required."),
        ({"code_challenge": "abc", "code_challenge_method": "plain"}, "must be S256"),
        ({"character_id": "999"}, "Unknown character."),
    ],
)
async def test_authorize_refuses_bad_requests(
    client: TestClient[Any, Any], override: dict[str, str], message: str
) -> None:
    # given an otherwise valid authorize query with one bad parameter
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": KILLMAIL_SCOPES[0],
        "state": "s",
        "character_id": "123123",
    } | override
    # when requested
    response = await client.get("/sso/v2/oauth/authorize", params=params, allow_redirects=False)
    # then 400 naming the problem, and no redirect
    assert response.status == 400
    assert message in await response.text()
    assert "Location" not in response.headers


async def test_no_scopes_means_no_refresh_token(sso: SsoSimulator) -> None:
    # given / when a token is issued without scopes
    body = sso.issue_token(123123, [])
    # then there is no refresh token, and the JWT has no scp claim
    assert set(body) == {"access_token", "expires_in", "token_type"}
    claims = sso.verify_access_token(str(body["access_token"]))
    assert claims is not None and claims.scopes == frozenset()


def test_verify_flags_expiry_and_rejects_forgeries(sso: SsoSimulator, clock: Clock) -> None:
    # given a fresh token
    access_token = str(sso.issue_token(458639815, KILLMAIL_SCOPES[:1])["access_token"])
    claims = sso.verify_access_token(access_token)
    assert claims is not None and not claims.expired
    assert claims.expires_at.timestamp() == int(clock.now_s) + 1200
    assert claims.client_id == CLIENT_ID
    # when the clock passes exp
    clock.now_s += 1200
    # then it still verifies, flagged expired
    expired = sso.verify_access_token(access_token)
    assert expired is not None and expired.expired
    # and a token signed by another key, or mangled, is not valid at all
    forged = SigningKeys().sign(jwt.decode(access_token, served_keys(sso)).claims)
    assert sso.verify_access_token(forged) is None
    assert sso.verify_access_token(access_token[:-4] + "AAAA") is None
    assert sso.verify_access_token("not-a-jwt") is None


def test_a_seed_gives_the_same_keys_across_restarts(universe: dict[int, str]) -> None:
    # given two simulators built from the same seed (a restart)
    first = SsoSimulator(lambda: universe, seed=42)
    second = SsoSimulator(lambda: universe, seed=42)
    # then they serve the same JWKS, so tokens of one verify on the other
    assert first.jwks() == second.jwks()
    access_token = str(first.issue_token(123123, KILLMAIL_SCOPES)["access_token"])
    claims = second.verify_access_token(access_token)
    assert claims is not None and claims.character_id == 123123
