"""Offline simulator of ESI, zKillboard and EVE SSO for tests, demos and benchmarks."""
