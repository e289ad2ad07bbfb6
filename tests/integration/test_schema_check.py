"""Commands refuse a database that is not at the newest migration, with the fix in the message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from killreport import container as container_module
from killreport.db.migration import SchemaOutOfDate, head_revision
from tests.conftest import make_settings

KILLREPORT = str(Path(sys.executable).with_name("killreport"))


async def test_building_on_an_empty_database_says_to_upgrade(tmp_path: Path) -> None:
    # given an empty SQLite file
    settings = make_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    # when a process builds its container, then it is told what to run
    with pytest.raises(SchemaOutOfDate) as caught:
        async with container_module.build(settings):
            pass
    assert caught.value.current is None
    assert caught.value.head == head_revision()
    assert "killreport db upgrade" in str(caught.value)


def test_a_command_on_an_empty_database_exits_2_with_the_fix(tmp_path: Path) -> None:
    # given no migrated database in the working directory
    env = {k: v for k, v in os.environ.items() if not k.startswith("KILLREPORT_")}
    # when `killreport status` runs
    result = subprocess.run(
        [KILLREPORT, "status"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    # then it exits 2 with one clear line instead of SQL errors
    assert result.returncode == 2
    assert "run `killreport db upgrade`" in result.stderr
    assert "OperationalError" not in result.stderr + result.stdout
