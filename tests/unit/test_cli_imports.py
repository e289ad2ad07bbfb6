"""`killreport --help` and `killreport status` load only what they use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from killreport.db import migration, schema_check

# Heavy packages no help screen needs; `status` needs the database and clients but not these.
NOT_FOR_HELP = ("sqlalchemy", "aiohttp", "fastapi", "alembic", "strawberry", "killreport.sim")
NOT_FOR_STATUS = ("fastapi", "starlette", "uvicorn", "alembic", "strawberry", "killreport.sim")
KILLREPORT = str(Path(sys.executable).with_name("killreport"))


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(result.stdout.split())


def _offending(loaded: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == p or m.startswith(p + ".") for p in packages))


def test_help_imports_no_command_dependencies() -> None:
    # given the root command
    # when its help is printed
    loaded = _loaded_after(
        "from killreport.cli.main import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass"
    )
    # then no database, HTTP, web or simulator package was imported
    assert "killreport.cli.main" in loaded
    assert _offending(loaded, NOT_FOR_HELP) == []


def test_status_imports_no_web_framework_or_migrations() -> None:
    # given the status command's module
    # when it is imported as `killreport status` resolves it
    loaded = _loaded_after("import killreport.cli.status")
    # then it carries the database but no web server, GraphQL, Alembic or simulator
    assert "sqlalchemy" in loaded
    assert _offending(loaded, NOT_FOR_STATUS) == []


@pytest.mark.parametrize("command", ["up", "status", "import", "db", "queue"])
def test_each_command_still_resolves_with_its_help(command: str) -> None:
    # given a lazily registered command
    # when its own help is asked for
    result = subprocess.run(
        [KILLREPORT, command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then it is imported and describes itself
    assert result.returncode == 0, result.stderr
    assert f"Usage: killreport {command}" in result.stdout


def test_the_light_head_revision_is_alembics() -> None:
    # given the migrations shipped with this code
    # when the head is read from the files without Alembic
    # then it is the head Alembic computes from the same chain
    schema_check.head_revision.cache_clear()
    assert schema_check.head_revision() == migration.head_revision()
