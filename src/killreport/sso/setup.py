"""What a process needs for EVE SSO, built once from Settings: client, validator, vault.

SSO is off, with the reason, when no client id is configured or no key can be had."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp

from killreport.settings import Settings
from killreport.sso.client import SsoClient, SsoConfig
from killreport.sso.errors import VaultKeyMissing
from killreport.sso.validation import TokenValidator
from killreport.sso.vault import TokenVault, load_vault

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SsoServices:
    """The SSO client, the token validator and the vault of one process."""

    client: SsoClient
    validator: TokenValidator
    vault: TokenVault


@dataclass(frozen=True, slots=True)
class SsoDisabled:
    """SSO cannot run here; `reason` names the setting to fix."""

    reason: str


def build_sso(settings: Settings, http: aiohttp.ClientSession) -> SsoServices | SsoDisabled:
    """SSO services from settings, or why there are none."""
    if not settings.sso_client_id:
        return SsoDisabled("EVE SSO is not configured: set KILLREPORT_SSO_CLIENT_ID")
    try:
        vault = load_vault(settings)
    except VaultKeyMissing as exc:
        logger.warning("EVE SSO disabled: %s", exc)
        return SsoDisabled(str(exc))
    client = SsoClient(
        http,
        SsoConfig(
            base_url=settings.sso_url,
            client_id=settings.sso_client_id,
            client_secret=settings.sso_client_secret.get_secret_value(),
            callback_url=settings.sso_callback_url,
            user_agent=settings.user_agent,
            contact=settings.user_agent_contact.strip(),
            timeout_s=settings.http_timeout_s,
        ),
    )
    validator = TokenValidator(settings.sso_client_id, client.jwks, leeway_s=settings.jwt_leeway_s)
    return SsoServices(client=client, validator=validator, vault=vault)
