"""Snapshots, counters and leaderboards."""
