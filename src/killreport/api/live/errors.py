"""The live engine's exception tree."""

from __future__ import annotations


class LiveError(RuntimeError):
    """Base of every live-subscription error."""


class ReplayTooLarge(LiveError):
    """`afterSequence` is too far back to replay; the client pages with `killmails`."""


class ConnectionClosed(LiveError):
    """The connection was closed (overflow or shutdown); its subscriptions end."""


class TooManyConnections(LiveError):
    """A client address already holds its limit of live connections."""
