"""`killreport dead list|replay QUEUE`: read a queue's dead letters and send them back."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from cyclopts import App

from killreport import container as container_module
from killreport.bus.contracts import QUEUES, WORKERS
from killreport.bus.protocol import DeadLetter, DeadLetterAdmin
from killreport.cli.context import start

app = App(name="dead", help="Dead letters of a queue: list them, replay them.")


def _queue(name: str) -> str:
    queue = WORKERS.get(name, name).removesuffix(".dead")
    if queue not in QUEUES:
        print(
            f"killreport dead: unknown queue {name}; queues: {', '.join(QUEUES)}", file=sys.stderr
        )
        raise SystemExit(2)
    return queue


def _row(letter: DeadLetter) -> dict[str, Any]:
    enqueued = (
        datetime.fromtimestamp(letter.enqueued_at_ms / 1000, UTC).isoformat()
        if letter.enqueued_at_ms is not None
        else None
    )
    return {
        "message_id": letter.message_id,
        "attempts": letter.attempts,
        "enqueued_at": enqueued,
        "error": letter.error,
        "body": letter.body.decode("utf-8", "replace"),
    }


@app.command(name="list")
def list_(queue: str, *, limit: int = 20, json: bool = False) -> None:
    """Show the oldest dead letters of QUEUE (a queue or worker name); they stay dead.

    Parameters
    ----------
    queue
        Queue or worker name.
    limit
        At most this many.
    json
        One JSON document instead of lines.
    """
    name = _queue(queue)
    settings = start()

    async def run() -> list[DeadLetter]:
        async with container_module.build(settings) as container:
            assert isinstance(container.bus, DeadLetterAdmin)
            return await container.bus.dead_letters(name, limit)

    rows = [_row(letter) for letter in asyncio.run(run())]
    if json:
        print(orjson.dumps({"queue": name, "dead_letters": rows}).decode())
        return
    print(f"{name}.dead: {len(rows)} shown")
    for row in rows:
        print(f"  {row['message_id']}  attempts={row['attempts']}  {row['enqueued_at']}")
        print(f"    error: {row['error']}")
        print(f"    body:  {row['body'][:200]}")


@app.command
def replay(queue: str, *, limit: int | None = None) -> None:
    """Move QUEUE's dead letters (all, or the oldest --limit) back to it, attempts reset.

    Parameters
    ----------
    queue
        Queue or worker name.
    limit
        Replay only this many, oldest first.
    """
    name = _queue(queue)
    settings = start()

    async def run() -> int:
        async with container_module.build(settings) as container:
            assert isinstance(container.bus, DeadLetterAdmin)
            return await container.bus.replay_dead(name, limit)

    print(f"{name}: {asyncio.run(run())} dead letters replayed")
