"""The shell's KILLREPORT_* variables never reach a test (tests/conftest.py removes them)."""

from __future__ import annotations

import os

from killreport.settings import DEFAULT_DATABASE_URL
from tests.conftest import make_settings


def test_no_killreport_variable_reaches_a_test() -> None:
    # given whatever the shell running pytest exported
    # when a test looks at its environment and builds default settings
    leaked = sorted(name for name in os.environ if name.startswith("KILLREPORT_"))
    settings = make_settings()
    # then nothing leaked, and the defaults are the embedded deployment's
    assert leaked == []
    assert (settings.database_url, settings.broker_url, settings.redis_url) == (
        DEFAULT_DATABASE_URL,
        None,
        None,
    )
    assert settings.user_agent_contact == ""
