"""Admin-only GraphQL: the `processes` overview and the operator's mutations.

Each is a thin call of what the CLI runs (`killreport status`, `dead replay`, `purge`,
`feed pause|resume`, `queue entity`); only characters in KILLREPORT_ADMIN_CHARACTER_IDS
may call them, and mutations carry the session's CSRF token like the SSO ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from killreport.api.auth.sessions import AuthenticatedUser
from killreport.api.graphql.auth import FORBIDDEN, mutating_user, request_user
from killreport.api.graphql.errors import client_error
from killreport.api.graphql.status_query import WorkerStatus, worker_statuses
from killreport.bus.contracts import QUEUES, WORKERS
from killreport.jobs.entities import queue_entity
from killreport.operations.feed_pause import CURSOR_NAME, pause, resume
from killreport.operations.heartbeat import ProcessView
from killreport.operations.overview import overview
from killreport.universe.specs import EntityKind, spec_for


def _admin(user: AuthenticatedUser | None) -> AuthenticatedUser:
    if user is None or not user.is_admin:
        raise client_error("admin characters only", FORBIDDEN)
    return user


def _queue(name: str) -> str:
    """A queue by its name or its worker's name (as `killreport dead` takes it)."""
    queue = WORKERS.get(name, name).removesuffix(".dead")
    if queue not in QUEUES:
        raise client_error(f"unknown queue {name}; queues: {', '.join(QUEUES)}")
    return queue


@strawberry.type(description="One process's latest heartbeat.")
class Process:
    view: strawberry.Private[ProcessView]

    @strawberry.field(description="up, api, worker, feed or scheduler.")
    def role(self) -> str:
        return self.view.beat.role

    @strawberry.field
    def host(self) -> str:
        return self.view.beat.host

    @strawberry.field
    def pid(self) -> int:
        return self.view.beat.pid

    @strawberry.field
    def version(self) -> str:
        return self.view.beat.version

    @strawberry.field
    def started_at(self) -> datetime:
        return self.view.beat.started_at

    @strawberry.field
    def last_seen(self) -> datetime:
        return self.view.beat.last_seen

    @strawberry.field(description="True when unseen for longer than the stale window (30 s).")
    def stale(self) -> bool:
        return self.view.stale

    @strawberry.field
    def queues(self) -> list[str]:
        return list(self.view.beat.queues)

    @strawberry.field(description="Messages being handled now.")
    def in_flight(self) -> int:
        return self.view.beat.in_flight

    @strawberry.field(description="Messages handled since the process started.")
    def handled(self) -> int:
        return self.view.beat.handled


@strawberry.type(description="What `killreport status` shows an operator.")
class Processes:
    processes: list[Process]
    queues: list[WorkerStatus]
    feed: JSON = strawberry.field(description="The status `killmail feed` section (lag).")
    esi_budget: JSON = strawberry.field(description="The status `esi budget` section.")


@strawberry.type
class AdminQuery:
    @strawberry.field(description="Admin only: heartbeats, queues, feed lag, ESI budget.")
    async def processes(self, info: Info) -> Processes:
        _admin(await request_user(info))
        seen = await overview(info.context.container)
        return Processes(
            processes=[Process(view=v) for v in seen.processes],
            queues=worker_statuses(seen.queues),
            feed=cast(JSON, seen.feed),
            esi_budget=cast(JSON, seen.budget),
        )


@strawberry.type(description="What an admin mutation did to one queue or feed.")
class AdminPayload:
    success: bool
    message: str
    count: int = strawberry.field(
        description="Messages replayed or purged, ids queued, or 1 when the feed changed."
    )


@strawberry.type
class AdminMutation:
    @strawberry.mutation(description="Admin only: move a queue's dead letters back onto it.")
    async def replay_dead_letters(self, info: Info, queue: str) -> AdminPayload:
        _admin(await mutating_user(info))
        name = _queue(queue)
        count = await info.context.container.bus.replay_dead(name, None)
        return AdminPayload(success=True, message=f"{name}: {count} replayed", count=count)

    @strawberry.mutation(description="Admin only: delete every ready message of a queue.")
    async def purge_queue(self, info: Info, queue: str) -> AdminPayload:
        _admin(await mutating_user(info))
        name = _queue(queue)
        purged: dict[str, int] = await info.context.container.bus.purge([name])
        count = purged.get(name, 0)
        return AdminPayload(success=True, message=f"{name}: {count} purged", count=count)

    @strawberry.mutation(description="Admin only: pause the R2Z2 feed follower.")
    async def pause_feed(self, info: Info) -> AdminPayload:
        user = _admin(await mutating_user(info))
        await pause(info.context.database, CURSOR_NAME, f"user {user.user_id}")
        return AdminPayload(success=True, message=f"{CURSOR_NAME} feed paused", count=1)

    @strawberry.mutation(description="Admin only: resume the R2Z2 feed follower.")
    async def resume_feed(self, info: Info) -> AdminPayload:
        _admin(await mutating_user(info))
        was_paused = await resume(info.context.database, CURSOR_NAME)
        message = f"{CURSOR_NAME} feed resumed" if was_paused else "the feed was not paused"
        return AdminPayload(success=was_paused, message=message, count=int(was_paused))

    @strawberry.mutation(description="Admin only: queue an entity sync of any kind by ids.")
    async def queue_entity_sync(self, info: Info, kind: str, ids: list[int]) -> AdminPayload:
        _admin(await mutating_user(info))
        try:
            spec = spec_for(kind)
        except ValueError as exc:
            raise client_error(str(exc)) from exc
        if not ids:
            raise client_error("give at least one id")
        count = await queue_entity(info.context.container.bus, EntityKind(spec.kind), ids)
        return AdminPayload(success=True, message=f"queued {count} {spec.kind} ids", count=count)
