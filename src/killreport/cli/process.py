"""Run a process's roles (API, workers, feed, scheduler) together until a signal stops them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn

from killreport.api.app import create_app
from killreport.cli import metrics_server
from killreport.container import Container
from killreport.operations.heartbeat import Heartbeat, host_name, open_store

logger = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 30.0

RoleFn = Callable[[Container, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True, slots=True)
class Role:
    """One long-running part of a process; it returns soon after `stop` is set."""

    name: str
    run: RoleFn
    # The queues this role consumes, for its heartbeat.
    queues: tuple[str, ...] = ()


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the role runner owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def api_role(host: str, port: int) -> Role:
    """The HTTP API served by uvicorn on host:port."""

    async def run(container: Container, stop: asyncio.Event) -> None:
        config = uvicorn.Config(
            create_app(container),
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="on",
            # Which proxies' X-Forwarded-For to believe is KILLREPORT_API_TRUSTED_PROXIES.
            proxy_headers=False,
        )
        server = _Server(config)
        serving = asyncio.create_task(server.serve(), name="uvicorn")
        stopping = asyncio.create_task(stop.wait(), name="api-stop")
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        stopping.cancel()
        await serving
        if not server.started and not stop.is_set():
            raise RuntimeError(f"the API could not listen on {host}:{port}")

    return Role("api", run)


def process_role_name(roles: Sequence[Role]) -> str:
    """What a heartbeat calls a process: `up` for several roles, else the command's name."""
    if len(roles) == 1:
        return "worker" if roles[0].name == "workers" else roles[0].name
    return "up"


def _heartbeat(container: Container, roles: Sequence[Role], role: str | None) -> Heartbeat:
    settings = container.settings
    return Heartbeat(
        store=open_store(settings, container.database),
        role=role or process_role_name(roles),
        host=host_name(settings),
        interval_s=settings.heartbeat_interval_s,
        stale_after_s=settings.heartbeat_stale_after_s,
        queues=tuple(q for r in roles for q in r.queues),
    )


async def run_roles(
    container: Container, roles: Sequence[Role], process_role: str | None = None
) -> None:
    """Run every role until SIGINT/SIGTERM or until one fails; then stop the rest gracefully.

    The process beats its heartbeat (role `process_role`, by default named after its
    roles) the whole time, and removes it after a clean stop.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    heartbeat = _heartbeat(container, roles, process_role)
    beating = asyncio.create_task(heartbeat.run(stop), name="heartbeat")
    # The API serves /metrics itself; other processes on --metrics-port / the setting.
    with metrics_server.serving(container.settings.api_host, _metrics_port(container, roles)):
        await _run(container, roles, stop, loop, beating, heartbeat)


def _metrics_port(container: Container, roles: Sequence[Role]) -> int | None:
    if any(role.name == "api" for role in roles):
        return None
    return container.settings.metrics_port


async def _run(
    container: Container,
    roles: Sequence[Role],
    stop: asyncio.Event,
    loop: asyncio.AbstractEventLoop,
    beating: asyncio.Task[None],
    heartbeat: Heartbeat,
) -> None:
    queues = tuple(q for r in roles for q in r.queues)
    sampling = asyncio.create_task(
        metrics_server.sample_forever(
            container, queues, any(r.name == "feed" for r in roles), stop
        ),
        name="metrics-sampler",
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks: dict[asyncio.Task[None], Role] = {
        asyncio.create_task(role.run(container, stop), name=role.name): role for role in roles
    }
    logger.info("started roles: %s", ", ".join(role.name for role in roles))
    try:
        done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.exception() is not None:
                logger.error("role %s failed: %r", tasks[task].name, task.exception())
        stop.set()
        _done, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_S)
        for task in pending:
            logger.warning(
                "role %s did not stop within %.0f s; cancelling", task.get_name(), SHUTDOWN_GRACE_S
            )
            task.cancel()
        failures = [
            t.exception() for t in tasks if t.done() and not t.cancelled() and t.exception()
        ]
        if failures:
            raise SystemExit(1)
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(beating, timeout=SHUTDOWN_GRACE_S)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(sampling, timeout=SHUTDOWN_GRACE_S)
        await heartbeat.store.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
