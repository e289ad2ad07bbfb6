"""`workerStatus`: each queue's counts from the message bus, in the seed's shape."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from killreport.bus.contracts import QUEUES


@strawberry.type(description="One queue: ready messages, consumers, and what is in flight.")
class WorkerStatus:
    queue_name: str
    worker: str
    message_count: int = strawberry.field(description="Messages ready for a consumer.")
    consumer_count: int
    unacked_count: int | None = strawberry.field(
        description="Delivered, not yet acknowledged (null where the bus cannot tell)."
    )
    delayed_count: int | None = strawberry.field(description="Waiting for a delayed retry.")
    dead_letter_count: int = strawberry.field(description="In the queue's dead-letter queue.")


@strawberry.type
class StatusQuery:
    @strawberry.field(description="Every worker queue of the bus with its counts.")
    async def worker_status(self, info: Info) -> list[WorkerStatus]:
        stats = await info.context.container.bus.queue_stats(list(QUEUES))
        return [
            WorkerStatus(
                queue_name=s.queue,
                worker=QUEUES[s.queue].worker,
                message_count=s.ready,
                consumer_count=s.consumers,
                unacked_count=s.unacked,
                delayed_count=s.delayed,
                dead_letter_count=s.dead,
            )
            for s in stats
        ]
