"""KillReport: a self-hosted EVE Online killboard back end."""

__version__ = "0.1.0"
