"""Tests of issue 7: feeds."""
