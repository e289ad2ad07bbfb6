"""ESI killmail links as players paste them, read into (killmail id, hash).

Accepted: `https://esi.evetech.net/latest/killmails/123/<40 hex>/?datasource=tranquility`
and every variant of it: with or without the scheme, a version prefix (`latest`, `v1`,
`legacy`, `dev`...), the trailing slash or a query string; the old `esi.tech.ccp.is`
host; surrounding whitespace. The in-game chat link (`<url=killReport:123:<hash>>...`)
names the same pair and is read too. Anything else is a `MalformedLink` saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

ESI_HOSTS = frozenset(("esi.evetech.net", "esi.tech.ccp.is"))
HASH_LENGTH = 40
MAX_LINK_LENGTH = 500
MAX_ID = 2**63 - 1  # the database's BIGINT

_VERSION = re.compile(r"^(latest|legacy|dev|v\d+)$")
_HASH = re.compile(r"^[0-9a-f]{40}$")
_ID = re.compile(r"^[1-9]\d{0,18}$")
_IN_GAME = re.compile(r"killReport:(\d+):([0-9A-Fa-f]+)")
LINK_EXAMPLE = (
    "https://esi.evetech.net/latest/killmails/123456789/0123456789abcdef0123456789abcdef01234567/"
)


class MalformedLink(ValueError):
    """The text is not an ESI killmail link; the message says why."""


@dataclass(frozen=True, slots=True)
class KillmailLink:
    """The id and hash an ESI killmail link names."""

    killmail_id: int
    killmail_hash: str


def check_id_and_hash(killmail_id: str, killmail_hash: str) -> KillmailLink:
    """Validate an id and a hash as they appear in a link or an API path."""
    if not _ID.match(killmail_id) or int(killmail_id) > MAX_ID:
        raise MalformedLink(f"{killmail_id[:40]!r} is not a killmail id (a positive number)")
    lowered = killmail_hash.lower()
    if not _HASH.match(lowered):
        raise MalformedLink(
            f"{killmail_hash[:60]!r} is not a killmail hash ({HASH_LENGTH} hexadecimal characters)"
        )
    return KillmailLink(int(killmail_id), lowered)


def parse_link(text: str) -> KillmailLink:
    """The id and hash of a pasted ESI killmail link."""
    link = text.strip()
    if not link:
        raise MalformedLink(f"paste an ESI killmail link, like {LINK_EXAMPLE}")
    if len(link) > MAX_LINK_LENGTH:
        raise MalformedLink("that is too long for an ESI killmail link")
    in_game = _IN_GAME.search(link)
    if in_game is not None:
        return check_id_and_hash(in_game.group(1), in_game.group(2))
    if "://" not in link:
        link = f"https://{link}"
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in ESI_HOSTS:
        raise MalformedLink(
            f"not an ESI killmail link (it must be on esi.evetech.net), like {LINK_EXAMPLE}"
        )
    segments = [s for s in parts.path.split("/") if s]
    if segments and _VERSION.match(segments[0]):
        segments = segments[1:]
    if len(segments) != 3 or segments[0] != "killmails":
        raise MalformedLink(
            f"an ESI killmail link ends in /killmails/<id>/<hash>/, like {LINK_EXAMPLE}"
        )
    return check_id_and_hash(segments[1], segments[2])
