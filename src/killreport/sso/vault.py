"""The token vault: SSO tokens encrypted at rest with the deployment's secret keys.

`KILLREPORT_SECRET_KEY` holds one or more secrets, comma-separated, newest first; each
becomes a Fernet key (SHA-256 of the secret), the newest encrypts and every one
decrypts, so a key can be added, everything re-encrypted (`killreport secrets rotate`)
and the old key dropped. The embedded deployment without a configured key keeps its
secrets in `<data_dir>/secret.key` (mode 0600, created on first start); the services
deployment refuses to run SSO without the variable.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from killreport.settings import Settings
from killreport.sso.errors import SsoError, VaultKeyMissing

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"
SECRET_KEY_VARIABLE = "KILLREPORT_SECRET_KEY"


class VaultError(SsoError):
    """A stored token does not decrypt with any configured key."""


def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


class TokenVault:
    """Encrypts with the newest secret, decrypts with any."""

    def __init__(self, secrets_newest_first: list[str]) -> None:
        if not secrets_newest_first:
            raise VaultKeyMissing(f"{SECRET_KEY_VARIABLE} is empty")
        self.secrets = tuple(secrets_newest_first)
        self._fernet = MultiFernet([_fernet(s) for s in secrets_newest_first])

    def encrypt(self, token: str) -> bytes:
        """The token encrypted under the newest key."""
        return self._fernet.encrypt(token.encode())

    def decrypt(self, stored: bytes) -> str:
        """The token in clear; VaultError when no key opens it."""
        try:
            return self._fernet.decrypt(stored).decode()
        except InvalidToken as exc:
            raise VaultError("a stored token does not decrypt with any configured key") from exc

    def rotate(self, stored: bytes) -> bytes:
        """The same token encrypted under the newest key."""
        try:
            return self._fernet.rotate(stored)
        except InvalidToken as exc:
            raise VaultError("a stored token does not decrypt with any configured key") from exc

    def signing_keys(self) -> list[bytes]:
        """Keys for signing cookies, oldest first (itsdangerous signs with the last)."""
        return [hashlib.sha256(b"cookie:" + s.encode()).digest() for s in reversed(self.secrets)]


def key_file(settings: Settings) -> Path:
    """Where the embedded deployment keeps its generated secrets."""
    return settings.data_dir / KEY_FILE_NAME


def configured_secrets(settings: Settings) -> list[str]:
    """The secrets of KILLREPORT_SECRET_KEY, newest first (empty when unset)."""
    raw = settings.secret_key.get_secret_value()
    return [part.strip() for part in raw.split(",") if part.strip()]


def _read_key_file(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _write_key_file(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 from the start: the secret is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    path.chmod(0o600)


def load_vault(settings: Settings, *, create: bool = True) -> TokenVault:
    """The deployment's vault; VaultKeyMissing when the services deployment has no key."""
    configured = configured_secrets(settings)
    if configured:
        return TokenVault(configured)
    if settings.broker_url or settings.redis_url:
        raise VaultKeyMissing(
            f"EVE SSO needs {SECRET_KEY_VARIABLE} in the services deployment "
            "(one or more secrets, comma-separated, newest first); it is not set"
        )
    path = key_file(settings)
    if path.exists():
        return TokenVault(_read_key_file(path))
    if not create:
        raise VaultKeyMissing(f"{SECRET_KEY_VARIABLE} is not set and {path} does not exist")
    _write_key_file(path, [secrets.token_urlsafe(32)])
    logger.info("created secret key file %s (mode 0600)", path)
    return TokenVault(_read_key_file(path))


def add_key(settings: Settings) -> TokenVault:
    """Put a new newest secret in the embedded key file; the configured variable is the
    operator's to change, so with it set this only re-reads it."""
    if configured_secrets(settings):
        return load_vault(settings)
    vault = load_vault(settings)
    path = key_file(settings)
    _write_key_file(path, [secrets.token_urlsafe(32), *vault.secrets])
    return TokenVault(_read_key_file(path))
