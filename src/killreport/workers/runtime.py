"""The worker runtime: consume chosen queues, run their handlers, settle every message.

Concurrency per queue equals its prefetch. A message is acked only after its
handler's transaction commits. Outcomes (DESIGN §5):

- handler returns            -> ack (processed)
- `PermanentFailure`         -> log, count and ack (failed)
- `DeadLetter`, bad message  -> `<name>.dead` at once (dead)
- `RetryLater`               -> retry at `retry_at` without using up an attempt (waiting
                                on a budget is not a failure); `<name>.dead` once the
                                message is older than the queue's `max_wait_s`
- any other exception        -> delayed retry with the queue's growing delays, then
                                `<name>.dead` after its retry limit (retried / dead)
- `LeaseLost`                -> nothing: another consumer holds the message now

On stop (SIGTERM) each queue takes no more messages, hands the unstarted ones back
and lets in-flight handlers finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime

import structlog
from pydantic import ValidationError

from killreport.bus.errors import (
    BusUnavailable,
    DeadLetter,
    LeaseLost,
    PermanentFailure,
    RetryLater,
)
from killreport.bus.protocol import Delivery, MessageBus, Subscription
from killreport.container import Container
from killreport.workers import metrics
from killreport.workers.handler import HandlerContext, Route

logger = logging.getLogger(__name__)

# Subscribing again after the broker or queue database failed: growing waits, reset
# once a subscription is up.
RESUBSCRIBE_DELAY_S = 0.5
MAX_RESUBSCRIBE_DELAY_S = 30.0
MAX_ERROR_CHARS = 2000


async def run_routes(
    container: Container,
    routes: Sequence[Route],
    stop: asyncio.Event,
    *,
    bus: MessageBus | None = None,
) -> None:
    """Consume every route's queue until `stop` is set; returns after a graceful drain."""
    chosen_bus = bus if bus is not None else container.bus
    if not routes:
        logger.info("no queue has a handler routed; workers idle")
        await stop.wait()
        return
    runners = [QueueRunner(container, chosen_bus, route) for route in routes]
    logger.info("consuming %s", ", ".join(r.route.spec.name for r in runners))
    await asyncio.gather(*(runner.run(stop) for runner in runners))


class QueueRunner:
    """Runs one route: a subscription and `prefetch` worker tasks, resubscribing on failure."""

    def __init__(self, container: Container, bus: MessageBus, route: Route) -> None:
        self.container = container
        self.bus = bus
        self.route = route
        self.spec = route.spec

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop`; a lost broker or database only delays, never ends, the run."""
        delay_s = RESUBSCRIBE_DELAY_S
        while not stop.is_set():
            try:
                async with self.bus.consume(self.spec.name, prefetch=self.spec.prefetch) as sub:
                    delay_s = RESUBSCRIBE_DELAY_S
                    await self._serve(sub, stop)
            except BusUnavailable as exc:
                logger.warning(
                    "queue %s unavailable (%s); subscribing again in %.1f s",
                    self.spec.name,
                    exc,
                    delay_s,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay_s)
                delay_s = min(delay_s * 2, MAX_RESUBSCRIBE_DELAY_S)

    async def _serve(self, sub: Subscription, stop: asyncio.Event) -> None:
        workers = [
            asyncio.create_task(self._work(sub), name=f"{self.spec.name}-{n}")
            for n in range(max(1, self.spec.prefetch))
        ]
        stopping = asyncio.create_task(stop.wait(), name=f"{self.spec.name}-stop")
        await asyncio.wait({*workers, stopping}, return_when=asyncio.FIRST_COMPLETED)
        await sub.stop()
        results = await asyncio.gather(*workers, return_exceptions=True)
        stopping.cancel()
        for result in results:
            if isinstance(result, Exception):
                logger.error("worker of %s failed: %r", self.spec.name, result)

    async def _work(self, sub: Subscription) -> None:
        while (delivery := await sub.next()) is not None:
            await self.handle(delivery)

    async def handle(self, delivery: Delivery) -> None:
        """Run the handler for one delivery and settle it; never raises (but cancellation)."""
        queue = self.spec.name
        with structlog.contextvars.bound_contextvars(
            queue=queue, message_id=delivery.message_id, attempt=delivery.attempt
        ):
            started = time.perf_counter()
            in_flight = metrics.IN_FLIGHT.labels(queue)
            in_flight.inc()
            try:
                await self._dispatch(delivery)
            finally:
                in_flight.dec()
                metrics.HANDLER_SECONDS.labels(queue).observe(time.perf_counter() - started)

    async def _dispatch(self, delivery: Delivery) -> None:
        try:
            message = self.spec.message.model_validate_json(delivery.body)
        except ValidationError as exc:
            await self._dead(delivery, f"invalid message: {exc}")
            return
        ctx = HandlerContext(self.container, self.bus, self.spec, delivery)
        try:
            await self.route.handler(message, ctx)
        except LeaseLost:
            logger.warning(
                "message %s on %s: lease lost, work rolled back; the new holder does it",
                delivery.message_id,
                delivery.queue,
            )
        except PermanentFailure as exc:
            logger.warning(
                "message %s on %s failed permanently, acked: %s",
                delivery.message_id,
                delivery.queue,
                exc.reason,
            )
            metrics.FAILED.labels(self.spec.name).inc()
            if not ctx.acked:
                await self._settle(delivery, "ack", self.bus.ack(delivery))
        except DeadLetter as exc:
            await self._dead(delivery, exc.reason)
        except RetryLater as exc:
            await self._wait(delivery, exc)
        except Exception as exc:  # noqa: BLE001  (any other failure is transient by contract)
            logger.warning(
                "message %s on %s attempt %d failed: %r",
                delivery.message_id,
                delivery.queue,
                delivery.attempt,
                exc,
                exc_info=exc,
            )
            error = f"{type(exc).__name__}: {exc}"
            await self._retry(delivery, self.spec.retry_delay_s(delivery.attempt), error)
        else:
            if not ctx.acked:
                await self._settle(delivery, "ack", self.bus.ack(delivery))
            metrics.PROCESSED.labels(self.spec.name).inc()
            logger.debug("message %s on %s processed", delivery.message_id, delivery.queue)

    async def _retry(self, delivery: Delivery, delay_s: float, error: str) -> None:
        if delivery.attempt > self.spec.retry_limit:
            await self._dead(delivery, f"retry limit {self.spec.retry_limit} reached; {error}")
            return
        logger.info(
            "message %s on %s retried in %.1f s (attempt %d of %d): %s",
            delivery.message_id,
            delivery.queue,
            delay_s,
            delivery.attempt,
            self.spec.retry_limit + 1,
            error[:200],
        )
        metrics.RETRIED.labels(self.spec.name).inc()
        await self._settle(
            delivery,
            "retry",
            self.bus.retry(delivery, delay_s=delay_s, error=error[:MAX_ERROR_CHARS]),
        )

    async def _wait(self, delivery: Delivery, exc: RetryLater) -> None:
        now = datetime.now(UTC)
        error = f"RetryLater: {exc}"
        if delivery.enqueued_at_ms is not None:
            age_s = now.timestamp() - delivery.enqueued_at_ms / 1000
            if age_s > self.spec.max_wait_s:
                await self._dead(
                    delivery, f"still waiting {age_s:.0f} s after publish (max_wait_s); {error}"
                )
                return
        delay_s = max(0.0, (exc.retry_at - now).total_seconds())
        logger.info(
            "message %s on %s waits %.1f s (attempt %d kept): %s",
            delivery.message_id,
            delivery.queue,
            delay_s,
            delivery.attempt,
            error[:200],
        )
        metrics.RETRIED.labels(self.spec.name).inc()
        await self._settle(
            delivery,
            "retry",
            self.bus.retry(
                delivery, delay_s=delay_s, error=error[:MAX_ERROR_CHARS], count_attempt=False
            ),
        )

    async def _dead(self, delivery: Delivery, error: str) -> None:
        logger.error(
            "message %s on %s dead-lettered after attempt %d: %s",
            delivery.message_id,
            delivery.queue,
            delivery.attempt,
            error[:500],
        )
        metrics.DEAD.labels(self.spec.name).inc()
        await self._settle(
            delivery, "dead-letter", self.bus.dead_letter(delivery, error=error[:MAX_ERROR_CHARS])
        )

    @staticmethod
    async def _settle(delivery: Delivery, action: str, operation: Awaitable[None]) -> None:
        try:
            await operation
        except Exception as exc:  # noqa: BLE001  (the message comes back by itself; keep going)
            logger.error(
                "could not %s message %s on %s (%r); it will be delivered again",
                action,
                delivery.message_id,
                delivery.queue,
                exc,
            )
