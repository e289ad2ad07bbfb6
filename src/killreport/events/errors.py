"""The events boundary's exception tree."""

from __future__ import annotations


class EventError(RuntimeError):
    """Base of every events error."""


class BadEvent(EventError):
    """A message on an event channel could not be read as its event."""


class EventsUnavailable(EventError):
    """The pub/sub backend (Redis) could not be reached."""
