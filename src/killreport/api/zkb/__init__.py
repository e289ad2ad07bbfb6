"""zKillboard's outside: its API shapes, an R2Z2 feed of our own, posting a killmail by link."""
