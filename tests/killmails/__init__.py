"""Tests of issue 7: killmails."""
