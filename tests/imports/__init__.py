"""Tests of issue 7: imports."""
