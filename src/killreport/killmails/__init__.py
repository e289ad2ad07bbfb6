"""Killmails: parse, derive, valuation, repository, the ingest service."""
