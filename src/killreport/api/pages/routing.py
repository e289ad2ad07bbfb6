"""The table of page routes: each area module lists its routes, mount_pages registers them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PageRoute:
    """One page route: its zKillboard-style path, the handler, a route name, the method."""

    path: str
    endpoint: Callable[..., Any]
    name: str
    method: str = "GET"
