"""Tests of the events hub."""
