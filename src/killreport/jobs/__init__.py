"""Producers and batch jobs, each one function used by the CLI and the scheduler."""
