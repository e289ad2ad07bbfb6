"""Logged-in pilots and their killmail sync."""
