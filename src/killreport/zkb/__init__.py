"""zKillboard clients: R2Z2, history dumps, the zKillboard API."""
