"""`killreport secrets rotate`: a new newest key, and every stored token re-encrypted."""

from __future__ import annotations

import asyncio

from cyclopts import App

from killreport.cli.context import start
from killreport.db.engine import Database
from killreport.sso.errors import VaultKeyMissing
from killreport.sso.rotation import reencrypt_tokens
from killreport.sso.vault import add_key, configured_secrets, key_file

app = App(name="secrets", help="The secret keys that encrypt SSO tokens at rest.")


@app.command
def rotate() -> None:
    """Re-encrypt every stored SSO token under the newest key.

    With KILLREPORT_SECRET_KEY set, its first secret is the newest: put a new one in
    front, run this, then drop the old one. Without it (embedded), a new secret is
    added to the key file under the data directory first.
    """
    settings = start()
    try:
        vault = add_key(settings)
    except VaultKeyMissing as exc:
        raise SystemExit(f"killreport secrets rotate: {exc}") from exc

    async def main() -> int:
        database = Database.from_url(settings.database_url)
        try:
            return await reencrypt_tokens(database, vault)
        finally:
            await database.dispose()

    count = asyncio.run(main())
    where = "KILLREPORT_SECRET_KEY" if configured_secrets(settings) else str(key_file(settings))
    print(f"re-encrypted the tokens of {count} characters under the newest key of {where}")
