"""The routes table: which handler consumes which queue (DESIGN §4: one table, no copies).

Add a queue's handler with one line in `ROUTES`, e.g.
`Route(QUEUES[ESI_ALLIANCE_INFO_QUEUE], entity_info.handle)`. `killreport worker`,
`killreport up` and the tests all pick their routes from a table like this one; tests
pass their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from killreport.bus.contracts import (
    ESI_ALLIANCE_CORPORATIONS_QUEUE,
    ESI_ALLIANCE_INFO_QUEUE,
    ESI_CHARACTER_INFO_QUEUE,
    ESI_CORPORATION_INFO_QUEUE,
    ESI_TYPE_INFO_QUEUE,
    ESI_USER_KILLMAILS_QUEUE,
    QUEUES,
    WORKERS,
    ZKILLBOARD_CHARACTER_QUEUE,
)
from killreport.workers.handler import Route
from killreport.workers.handlers import entities, killmails, user_killmails

# Entity info: one generic handler for every info queue and kind (ENTITY_SPECS).
ENTITY_ROUTES: tuple[Route, ...] = (
    Route(QUEUES[ESI_ALLIANCE_INFO_QUEUE], entities.handle_entity_info),
    Route(QUEUES[ESI_CORPORATION_INFO_QUEUE], entities.handle_entity_info),
    Route(QUEUES[ESI_CHARACTER_INFO_QUEUE], entities.handle_entity_info),
    Route(QUEUES[ESI_TYPE_INFO_QUEUE], entities.handle_entity_info),
    Route(QUEUES[ESI_ALLIANCE_CORPORATIONS_QUEUE], entities.handle_alliance_corporations),
)

ROUTES: tuple[Route, ...] = (
    *ENTITY_ROUTES,
    Route(QUEUES[ZKILLBOARD_CHARACTER_QUEUE], killmails.handle_zkillboard_character),
    Route(QUEUES[ESI_USER_KILLMAILS_QUEUE], user_killmails.handle_user_killmails),
)


class UnknownWorker(LookupError):
    """A worker or queue name that no route serves."""


def route_table(routes: Iterable[Route] = ROUTES) -> Mapping[str, Route]:
    """Routes by queue name; a queue routed twice is a programming error."""
    table: dict[str, Route] = {}
    for route in routes:
        if route.spec.name in table:
            raise ValueError(f"queue {route.spec.name} is routed twice")
        table[route.spec.name] = route
    return table


def select_routes(names: Sequence[str], routes: Iterable[Route] = ROUTES) -> list[Route]:
    """The routes for worker names (`info-alliances`) or queue names; all when empty."""
    table = route_table(routes)
    if not names:
        return list(table.values())
    selected: list[Route] = []
    for name in names:
        queue = WORKERS.get(name, name)
        route = table.get(queue)
        if route is None:
            known = ", ".join(sorted(WORKERS)) or "(none)"
            routed = ", ".join(sorted(r.spec.worker for r in table.values())) or "(none yet)"
            state = "has no handler routed yet" if queue in QUEUES else "is not a worker or queue"
            raise UnknownWorker(f"{name} {state}; workers: {known}; routed: {routed}")
        if route not in selected:
            selected.append(route)
    return selected
