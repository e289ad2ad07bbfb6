"""The web killboard: server-rendered pages at zKillboard's paths, mounted on the API app."""
