"""Live connections per client address: counted on open, given back on close."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator

from killreport.api.live.errors import TooManyConnections


class AddressLimits:
    """At most `max_per_address` live connections at once from one client address."""

    def __init__(self, max_per_address: int) -> None:
        self.max_per_address = max_per_address
        self._open: Counter[str] = Counter()

    def open_count(self, address: str) -> int:
        """Live connections open from `address` now."""
        return self._open[address]

    @contextlib.contextmanager
    def hold(self, address: str) -> Iterator[None]:
        """One connection slot for the block; TooManyConnections when none is left."""
        if self._open[address] >= self.max_per_address:
            raise TooManyConnections(
                f"too many live connections from {address} (limit {self.max_per_address})"
            )
        self._open[address] += 1
        try:
            yield
        finally:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]
