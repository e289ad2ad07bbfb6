"""Rewrite migrations/versions/0001_initial.py from the models (allowed until the first release).

Run `make migration-initial` after changing a table. The drift test fails until you do.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from killreport.db.migration import MIGRATIONS_DIR, alembic_config

VERSION_FILE = MIGRATIONS_DIR / "versions" / "0001_initial.py"


def main() -> None:
    """Autogenerate the initial revision against an empty SQLite file and format it."""
    VERSION_FILE.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'empty.sqlite3'}"
        command.revision(
            alembic_config(url),
            message="initial schema",
            autogenerate=True,
            rev_id="0001",
        )
    generated = next((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    generated.rename(VERSION_FILE)
    ruff = Path(sys.executable).with_name("ruff")
    subprocess.run([str(ruff), "check", "--fix", "-q", str(VERSION_FILE)], check=False)
    subprocess.run([str(ruff), "format", "-q", str(VERSION_FILE)], check=True)
    print(f"wrote {VERSION_FILE}")


if __name__ == "__main__":
    main()
