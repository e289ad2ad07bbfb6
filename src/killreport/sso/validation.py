"""EVE SSO access tokens checked as CCP says (esi-facts §7): RS256 against the JWKS,
issuer with or without `https://`, audience holding the client id and `EVE Online`,
expiry with a small leeway, `sub` as `CHARACTER:EVE:<id>`, and the scopes granted."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from killreport.sso.errors import TokenRejected

ACCEPTED_ISSUERS = frozenset(
    {"login.eveonline.com", "https://login.eveonline.com", "https://login.eveonline.com/"}
)
EVE_AUDIENCE = "EVE Online"
ALGORITHM = "RS256"
_SUBJECT = re.compile(r"^CHARACTER:EVE:([1-9][0-9]{0,18})$")


@dataclass(frozen=True, slots=True)
class CharacterToken:
    """What a valid access token says about its character (never the token itself)."""

    character_id: int
    character_name: str
    owner_hash: str
    scopes: frozenset[str]
    expires_at: datetime


JwksSource = Callable[[bool], Awaitable[dict[str, Any]]]


def _header(token: str) -> dict[str, Any]:
    try:
        encoded = token.split(".")[0]
        decoded = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        header = json.loads(decoded)
    except (IndexError, ValueError, binascii.Error) as exc:
        raise TokenRejected("the access token is not a JWT") from exc
    if not isinstance(header, dict):
        raise TokenRejected("the access token is not a JWT")
    return header


def _rsa_keys(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = document.get("keys")
    if not isinstance(keys, list):
        return {}
    return {
        str(key["kid"]): key
        for key in keys
        if isinstance(key, dict) and key.get("alg") == ALGORITHM and key.get("kty") == "RSA"
    }


class TokenValidator:
    """Validates access tokens against the JWKS from `jwks(refetch)`."""

    def __init__(self, client_id: str, jwks: JwksSource, *, leeway_s: float = 30.0) -> None:
        self.client_id = client_id
        self._jwks = jwks
        self.leeway_s = leeway_s

    async def _key(self, kid: str) -> dict[str, Any]:
        keys = _rsa_keys(await self._jwks(False))
        if kid not in keys:
            # A rotated signing key: fetch the JWKS again before refusing.
            keys = _rsa_keys(await self._jwks(True))
        if kid not in keys:
            raise TokenRejected(f"the access token is signed with an unknown key ({kid[:64]})")
        return keys[kid]

    async def validate(
        self, token: str, *, required_scopes: Collection[str] = (), now: datetime | None = None
    ) -> CharacterToken:
        """The character of a valid token; TokenRejected saying which check failed."""
        header = _header(token)
        if header.get("alg") != ALGORITHM:
            raise TokenRejected(f"the access token is not {ALGORITHM}-signed")
        key = await self._key(str(header.get("kid", "")))
        try:
            decoded = jwt.decode(token, KeySet.import_key_set({"keys": [key]}), [ALGORITHM])
        except (JoseError, ValueError) as exc:
            raise TokenRejected("the access token's signature does not verify") from exc
        return self._claims(dict(decoded.claims), required_scopes, now or datetime.now(UTC))

    def _claims(
        self, claims: dict[str, Any], required_scopes: Collection[str], now: datetime
    ) -> CharacterToken:
        if claims.get("iss") not in ACCEPTED_ISSUERS:
            raise TokenRejected("the access token has the wrong issuer")
        audience = claims.get("aud")
        audiences = {audience} if isinstance(audience, str) else set(audience or ())
        if self.client_id not in audiences or EVE_AUDIENCE not in audiences:
            raise TokenRejected("the access token is not for this application (audience)")
        exp = claims.get("exp")
        if not isinstance(exp, int | float):
            raise TokenRejected("the access token has no expiry")
        if exp + self.leeway_s < now.timestamp():
            raise TokenRejected("the access token has expired")
        match = _SUBJECT.match(str(claims.get("sub", "")))
        if match is None:
            raise TokenRejected("the access token does not name a character")
        name, owner = claims.get("name"), claims.get("owner")
        if not isinstance(name, str) or not isinstance(owner, str) or not owner:
            raise TokenRejected("the access token lacks the character name or owner hash")
        scp = claims.get("scp", [])
        scopes = frozenset([scp] if isinstance(scp, str) else [str(s) for s in scp or ()])
        missing = set(required_scopes) - scopes
        if missing:
            raise TokenRejected("the login did not grant " + ", ".join(sorted(missing)))
        return CharacterToken(
            character_id=int(match.group(1)),
            character_name=name,
            owner_hash=owner,
            scopes=scopes,
            expires_at=datetime.fromtimestamp(exp, UTC),
        )
