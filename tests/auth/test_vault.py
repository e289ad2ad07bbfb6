"""The token vault: a key file made 0600 when embedded, a named refusal when not, rotation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken
from pydantic import SecretStr

from killreport.db.engine import Database
from killreport.db.tables import User, UserCharacter
from killreport.sso.errors import VaultKeyMissing
from killreport.sso.rotation import reencrypt_tokens
from killreport.sso.vault import TokenVault, VaultError, add_key, load_vault
from tests.conftest import make_settings


def test_embedded_vault_creates_a_private_key_file_once(tmp_path: Path) -> None:
    # given the embedded deployment with no key configured
    settings = make_settings(data_dir=tmp_path / "var")
    # when the vault is loaded twice
    first = load_vault(settings)
    again = load_vault(settings)
    # then one key file exists, readable by its owner only, and both loads share its key
    key_file = tmp_path / "var" / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert again.decrypt(first.encrypt("token-a")) == "token-a"


def test_services_deployment_without_a_key_names_the_variable(tmp_path: Path) -> None:
    settings = make_settings(data_dir=tmp_path, broker_url="amqp://guest:guest@127.0.0.1:1/")
    with pytest.raises(VaultKeyMissing, match="KILLREPORT_SECRET_KEY"):
        load_vault(settings)
    assert not (tmp_path / "secret.key").exists()


def test_the_newest_key_encrypts_every_key_decrypts() -> None:
    old, new = TokenVault(["old-secret"]), TokenVault(["new-secret", "old-secret"])
    stored = old.encrypt("refresh-1")
    assert new.decrypt(stored) == "refresh-1"
    rotated = new.rotate(stored)
    assert TokenVault(["new-secret"]).decrypt(rotated) == "refresh-1"
    with pytest.raises(VaultError):
        old.decrypt(rotated)
    assert b"refresh-1" not in rotated


async def test_rotate_reencrypts_every_stored_token(database: Database, tmp_path: Path) -> None:
    # given a character whose tokens are stored under the embedded key file's only key
    settings = make_settings(data_dir=tmp_path)
    before = load_vault(settings)
    now = datetime.now(UTC)
    async with database.transaction() as session:
        session.add(User(user_id=1, is_admin=False, created_at=now))
        await session.flush()
        session.add(
            UserCharacter(
                character_id=90000001, user_id=1, character_name="A", owner_hash="h",
                scopes="", created_at=now, token_generation=0, sync_state="never",
                sync_full=False, access_token_encrypted=before.encrypt("access-1"),
                refresh_token_encrypted=before.encrypt("refresh-1"),
            )
        )  # fmt: skip
    # when a key is added and the tokens re-encrypted (`killreport secrets rotate`)
    after = add_key(settings)
    assert await reencrypt_tokens(database, after) == 1
    # then the newest key alone opens them
    newest = TokenVault([after.secrets[0]])
    async with database.transaction() as session:
        row = await session.get(UserCharacter, 90000001)
        assert row is not None and row.refresh_token_encrypted is not None
        assert newest.decrypt(row.refresh_token_encrypted) == "refresh-1"
    with pytest.raises(InvalidToken):
        TokenVault([before.secrets[0]])._fernet.decrypt(row.refresh_token_encrypted)


def test_configured_keys_win_over_the_key_file(tmp_path: Path) -> None:
    settings = make_settings(data_dir=tmp_path, secret_key=SecretStr("b, a"))
    assert load_vault(settings).secrets == ("b", "a")
    assert not (tmp_path / "secret.key").exists()
