"""Tests of the queue handlers."""
