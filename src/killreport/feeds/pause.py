"""Pausing a feed (kept in `operations.feed_pause`, which the API also uses)."""

from __future__ import annotations

from killreport.operations.feed_pause import is_paused, pause, resume

__all__ = ["is_paused", "pause", "resume"]
