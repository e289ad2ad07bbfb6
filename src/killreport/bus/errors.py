"""The bus boundary's exceptions, and the typed outcomes a handler raises to steer its message.

Handlers raise `RetryLater`, `PermanentFailure` or `DeadLetter`; any other exception
is a transient failure retried with the queue's growing delays.
"""

from __future__ import annotations

from datetime import datetime


class BusError(RuntimeError):
    """Base of every error the message bus raises to its callers."""


class BusUnavailable(BusError):
    """The broker or the queue database could not be reached in time."""


class LeaseLost(BusError):
    """The message was leased to another consumer meanwhile; its work must be rolled back."""

    def __init__(self, queue: str, message_id: str) -> None:
        super().__init__(f"lease of message {message_id} on {queue} was lost")
        self.queue = queue
        self.message_id = message_id


class HandlerOutcome(Exception):
    """Base of the exceptions a handler raises to choose what happens to its message."""


class RetryLater(HandlerOutcome):
    """Not now: try again at `retry_at` (a wait on a budget, bounded by the queue's max_wait_s
    since the message was first published; it does not count toward the retry limit)."""

    def __init__(self, retry_at: datetime, reason: str = "") -> None:
        super().__init__(reason or f"retry at {retry_at.isoformat()}")
        self.retry_at = retry_at
        self.reason = reason


class PermanentFailure(HandlerOutcome):
    """The message can never succeed (deleted entity, bad hash): log, count and ack it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DeadLetter(HandlerOutcome):
    """The message is malformed or needs a human: move it to `<name>.dead` at once."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
