"""`killreport purge [QUEUE...] --yes`: empty queues (the seed's `orchestrator purge`)."""

from __future__ import annotations

import asyncio
import sys

from killreport import container as container_module
from killreport.bus.contracts import QUEUES, WORKERS, dead_letter_queue
from killreport.cli.context import start


def purge_targets(names: tuple[str, ...], *, dead: bool) -> list[str]:
    """Queue names for worker or queue names (`x.dead` allowed); every queue when empty."""
    queues = [WORKERS.get(name, name) for name in names] if names else list(QUEUES)
    unknown = [q for q in queues if q.removesuffix(".dead") not in QUEUES]
    if unknown:
        raise ValueError(f"unknown queue(s) {', '.join(unknown)}; queues: {', '.join(QUEUES)}")
    if dead:
        queues += [dead_letter_queue(q) for q in queues if not q.endswith(".dead")]
    return list(dict.fromkeys(queues))


def purge(*queues: str, yes: bool = False, dead: bool = False) -> None:
    """Delete every message of the named queues (default: all of them) and their retries.

    Parameters
    ----------
    queues
        Queue or worker names; `NAME.dead` names a dead-letter queue.
    yes
        Really delete; without it nothing is touched.
    dead
        Empty the dead-letter queues of the named queues too.
    """
    try:
        targets = purge_targets(queues, dead=dead)
    except ValueError as exc:
        print(f"killreport purge: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    if not yes:
        print("killreport purge: would empty " + ", ".join(targets) + "; add --yes to do it")
        raise SystemExit(1)
    settings = start()

    async def run() -> dict[str, int]:
        async with container_module.build(settings) as container:
            return await container.bus.purge(targets)

    for name, count in asyncio.run(run()).items():
        print(f"{name}: {count} purged")
