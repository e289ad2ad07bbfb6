"""Signing keys and access tokens of the simulated EVE SSO: real claim set, real JWKS shape."""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

# Values the real SSO puts in every token and JWKS (esi-facts §7, data/sso/).
ISSUER = "https://login.eveonline.com"
ACCEPTED_ISSUERS = frozenset({"login.eveonline.com", ISSUER, ISSUER + "/"})
AUDIENCE = "EVE Online"
RSA_KID = "JWT-Signature-Key"
EC_KID = "8878a23f-2489-4045-989e-4d2f3ec1ae1a"
ACCESS_TOKEN_LIFETIME_S = 1200
# The token response says 1199 while the JWT says exp - iat = 1200; the real SSO does both.
EXPIRES_IN_S = ACCESS_TOKEN_LIFETIME_S - 1
SUBJECT_PREFIX = "CHARACTER:EVE:"

_RSA_BITS = 2048
_RSA_EXPONENT = 65537
_SMALL_PRIMES = tuple(
    p for p in range(3, 2000, 2) if all(p % d for d in range(3, math.isqrt(p) + 1, 2))
)


@dataclass(frozen=True, slots=True)
class SsoClaims:
    """What ESI needs from a verified access token."""

    character_id: int
    character_name: str
    scopes: frozenset[str]
    client_id: str
    expires_at: datetime
    expired: bool
    owner: str = ""


class SigningKeys:
    """The RS256 key that signs tokens and the ES256 key the real JWKS also lists."""

    def __init__(self, seed: int | None = None) -> None:
        rsa_parameters = {"kid": RSA_KID, "alg": "RS256", "use": "sig"}
        ec_parameters = {"kid": EC_KID, "alg": "ES256", "use": "sig"}
        if seed is None:
            self.rsa = RSAKey.generate_key(_RSA_BITS, parameters=rsa_parameters)  # type: ignore[arg-type]
            self.ec = ECKey.generate_key("P-256", parameters=ec_parameters)  # type: ignore[arg-type]
        else:
            rsa_key, ec_key = _seeded_private_keys(seed)
            self.rsa = RSAKey.import_key(rsa_key, parameters=rsa_parameters)  # type: ignore[arg-type]
            self.ec = ECKey.import_key(ec_key, parameters=ec_parameters)  # type: ignore[arg-type]

    def jwks(self) -> dict[str, object]:
        """The JWKS document in the real member order, including its trailing flag."""
        public_rsa = self.rsa.as_dict(private=False)
        public_ec = self.ec.as_dict(private=False)
        rsa_entry = {k: public_rsa[k] for k in ("alg", "e", "kid", "kty", "n", "use")}
        ec_entry = {k: public_ec[k] for k in ("alg", "crv", "kid", "kty", "use", "x", "y")}
        return {"keys": [rsa_entry, ec_entry], "SkipUnresolvedJsonWebKeys": True}

    def sign(self, claims: dict[str, object]) -> str:
        """An RS256 JWT with the real header."""
        header = {"alg": "RS256", "kid": RSA_KID, "typ": "JWT"}
        return jwt.encode(header, dict(claims), self.rsa, algorithms=["RS256"])

    def decode(self, token: str) -> dict[str, object] | None:
        """The claims of a token this SSO signed, or None when the signature or format fails."""
        try:
            decoded = jwt.decode(token, self.rsa, algorithms=["RS256"])
        except (JoseError, ValueError):
            # A forged or mangled token is an expected input; the caller answers 401.
            return None
        return dict(decoded.claims)


def owner_hash(character_id: int, salt: str) -> str:
    """A stable 28-character owner hash per character, shaped like the real one."""
    digest = hashlib.sha1(f"{salt}:{character_id}".encode(), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode()


def access_claims(
    *,
    character_id: int,
    character_name: str,
    scopes: Sequence[str],
    client_id: str,
    owner: str,
    jti: uuid.UUID,
    issued_at_s: int,
) -> dict[str, object]:
    """The claim set the real SSO signs, in its member order."""
    claims: dict[str, object] = {}
    if scopes:
        # A single scope comes back as a bare string, as the real SSO does.
        claims["scp"] = scopes[0] if len(scopes) == 1 else list(scopes)
    claims.update(
        {
            "jti": str(jti),
            "kid": RSA_KID,
            "sub": f"{SUBJECT_PREFIX}{character_id}",
            "azp": client_id,
            "tenant": "tranquility",
            "tier": "live",
            "region": "world",
            "aud": [client_id, AUDIENCE],
            "name": character_name,
            "owner": owner,
            "exp": issued_at_s + ACCESS_TOKEN_LIFETIME_S,
            "iat": issued_at_s,
            "iss": ISSUER,
        }
    )
    return claims


def claims_of(payload: dict[str, object], now_s: float) -> SsoClaims | None:
    """Typed claims from a decoded payload, or None when it is not a valid EVE token."""
    sub, name, azp, exp = (payload.get(k) for k in ("sub", "name", "azp", "exp"))
    audience = payload.get("aud")
    if not (
        isinstance(sub, str)
        and sub.startswith(SUBJECT_PREFIX)
        and sub.removeprefix(SUBJECT_PREFIX).isdigit()
        and isinstance(name, str)
        and isinstance(azp, str)
        and isinstance(exp, int)
        and payload.get("iss") in ACCEPTED_ISSUERS
        and isinstance(audience, list)
        and AUDIENCE in audience
        and azp in audience
    ):
        return None
    scp = payload.get("scp", [])
    scopes = frozenset([scp] if isinstance(scp, str) else scp if isinstance(scp, list) else [])
    owner = payload.get("owner")
    return SsoClaims(
        character_id=int(sub.removeprefix(SUBJECT_PREFIX)),
        character_name=name,
        scopes=frozenset(str(s) for s in scopes),
        client_id=azp,
        expires_at=datetime.fromtimestamp(exp, UTC),
        expired=exp <= now_s,
        owner=owner if isinstance(owner, str) else "",
    )


@functools.cache
def _seeded_private_keys(seed: int) -> tuple[rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey]:
    """Key pairs derived from a seed, so a restarted simulator serves the same JWKS."""
    rng = random.Random(f"killreport-sim-sso:{seed}")
    p = _prime(rng, _RSA_BITS // 2)
    q = _prime(rng, _RSA_BITS // 2)
    while q == p:
        q = _prime(rng, _RSA_BITS // 2)
    d = pow(_RSA_EXPONENT, -1, math.lcm(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(_RSA_EXPONENT, p * q),
    )
    # P-256's order is just under 2**256, so a 255-bit secret is always in range.
    ec_secret = rng.getrandbits(255) | 1
    return numbers.private_key(), ec.derive_private_key(ec_secret, ec.SECP256R1())


def _prime(rng: random.Random, bits: int) -> int:
    """A probable prime of exactly `bits` bits whose p - 1 is coprime to the RSA exponent."""
    while True:
        # The top two bits set make p * q exactly twice as long.
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if (candidate - 1) % _RSA_EXPONENT and _is_probable_prime(candidate, rng):
            return candidate


def _is_probable_prime(n: int, rng: random.Random) -> bool:
    """Trial division by small primes, then 40 Miller-Rabin rounds."""
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(40):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True
