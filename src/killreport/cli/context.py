"""What every command does first: read the settings once and configure logging."""

from __future__ import annotations

from killreport.logs import configure_logging
from killreport.settings import Settings, load_settings


def start(**overrides: object) -> Settings:
    """Load the settings (SettingsError on a bad value) and set up logging."""
    settings = load_settings(**overrides)
    configure_logging(settings)
    return settings
