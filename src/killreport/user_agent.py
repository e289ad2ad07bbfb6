"""The User-Agent sent to CCP and zKillboard, and the rule that their real hosts get a contact.

CCP and zKillboard ask every client for a User-Agent with a way to reach its operator;
a placeholder address (the system we replace shipped one) reaches nobody. Requests to
their hosts are refused before anything is sent until the operator sets a contact; the
simulator and test servers on other hosts need none.
"""

from __future__ import annotations

from urllib.parse import urlsplit

CONTACT_VARIABLE = "KILLREPORT_USER_AGENT_CONTACT"

# esi.evetech.net, login.eveonline.com, zkillboard.com, r2z2.zkillboard.com and their kin.
OPERATOR_DOMAINS = ("evetech.net", "eveonline.com", "zkillboard.com")


def user_agent(version: str, contact: str) -> str:
    """`KillReport/<version> (+<contact>)`, or without the parenthesis when there is none."""
    return f"KillReport/{version} (+{contact})" if contact else f"KillReport/{version}"


def needs_contact(url: str) -> bool:
    """True when `url` is on a CCP or zKillboard host, decided by host name alone."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == domain or host.endswith(f".{domain}") for domain in OPERATOR_DOMAINS)


def missing_contact_message(url: str) -> str:
    """Why a request to `url` was not sent, naming the variable that fixes it."""
    host = urlsplit(url).hostname or url
    return (
        f"not contacting {host}: no operator contact in the User-Agent; set {CONTACT_VARIABLE} "
        "to an email address or URL where CCP and zKillboard can reach you"
    )
