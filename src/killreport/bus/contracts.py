"""What travels on the message bus: queue names (kept from the seed), messages, priorities.

One table, `QUEUES`, describes every queue of DESIGN §5; the worker runtime, the CLI
and both bus implementations iterate it. Messages are small JSON documents with a
version field `v` and never carry secrets (tokens are loaded from the vault).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Priorities of the user killmail queue (seed 001): login, manual CLI, scheduled cron.
PRIORITY_LOGIN = 8
PRIORITY_MANUAL = 5
PRIORITY_SCHEDULED = 3
PRIORITY_DEFAULT = 0
MAX_PRIORITY = 10

DEAD_SUFFIX = ".dead"

ESI_ALLIANCE_INFO_QUEUE = "esi_alliance_info_queue"
ESI_CORPORATION_INFO_QUEUE = "esi_corporation_info_queue"
ESI_CHARACTER_INFO_QUEUE = "esi_character_info_queue"
ESI_TYPE_INFO_QUEUE = "esi_type_info_queue"
ESI_ALLIANCE_CORPORATIONS_QUEUE = "esi_alliance_corporations_queue"
ZKILLBOARD_CHARACTER_QUEUE = "zkillboard_character_queue"
ESI_USER_KILLMAILS_QUEUE = "esi_user_killmails_queue"

# Entity kinds an info message may name. DESIGN §5 has no queue for groups, categories
# or the map, so those ride on the type queue with their `kind` (DESIGN §1.2: types
# "with groups and categories", solar systems "with constellations and regions").
EntityKind = Literal[
    "alliance",
    "corporation",
    "character",
    "type",
    "group",
    "category",
    "solar_system",
    "constellation",
    "region",
]

MAX_IDS_PER_MESSAGE = 1000


class Message(BaseModel):
    """Base of every bus message: frozen, versioned, tolerant of fields added later."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    v: int = 1


class EntityIdsMessage(Message):
    """Fetch or refresh these entities; `kind` None means the queue's own kind."""

    ids: list[int] = Field(min_length=1, max_length=MAX_IDS_PER_MESSAGE)
    kind: EntityKind | None = None


class ZkillboardCharacterMessage(Message):
    """Sync one character's killmail history from zKillboard."""

    character_id: int = Field(gt=0)


class UserKillmailsMessage(Message):
    """Sync one logged-in character's own ESI killmails; `full` ignores the incremental
    marker. Never a token: the worker loads it from the vault (issue 12)."""

    character_id: int = Field(gt=0)
    full: bool = False


# Delayed retries after a transient failure: one delay per retry, growing; after the
# last one the message goes to `<name>.dead`.
DEFAULT_RETRY_DELAYS_S: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0, 1800.0)
# Waiting on a budget (RetryLater) never fails a message by count, only by age: a
# message that still waits this long after its first publish is dead-lettered.
DEFAULT_MAX_WAIT_S = 86_400.0


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """One queue: its name, the seed's worker name, prefetch, message model and retries."""

    name: str
    worker: str
    prefetch: int
    message: type[Message]
    retry_delays_s: tuple[float, ...] = DEFAULT_RETRY_DELAYS_S
    entity_kind: EntityKind | None = None
    max_wait_s: float = DEFAULT_MAX_WAIT_S

    @property
    def retry_limit(self) -> int:
        """How many times a failing message is retried before it is dead-lettered."""
        return len(self.retry_delays_s)

    @property
    def dead_letter_queue(self) -> str:
        """Where messages go after the retry limit."""
        return dead_letter_queue(self.name)

    def retry_delay_s(self, attempt: int) -> float:
        """The delay before retry number `attempt` (1-based), the last one repeating."""
        index = min(max(attempt, 1), len(self.retry_delays_s)) - 1
        return self.retry_delays_s[index]


def dead_letter_queue(name: str) -> str:
    """The dead-letter queue of queue `name`."""
    return name + DEAD_SUFFIX


def _table(*specs: QueueSpec) -> Mapping[str, QueueSpec]:
    return MappingProxyType({spec.name: spec for spec in specs})


QUEUES: Mapping[str, QueueSpec] = _table(
    QueueSpec(
        ESI_ALLIANCE_INFO_QUEUE, "info-alliances", 3, EntityIdsMessage, entity_kind="alliance"
    ),
    QueueSpec(
        ESI_CORPORATION_INFO_QUEUE,
        "info-corporations",
        5,
        EntityIdsMessage,
        entity_kind="corporation",
    ),
    QueueSpec(
        ESI_CHARACTER_INFO_QUEUE, "info-characters", 10, EntityIdsMessage, entity_kind="character"
    ),
    QueueSpec(ESI_TYPE_INFO_QUEUE, "info-types", 10, EntityIdsMessage, entity_kind="type"),
    QueueSpec(
        ESI_ALLIANCE_CORPORATIONS_QUEUE,
        "alliance-corporations",
        5,
        EntityIdsMessage,
        entity_kind="alliance",
    ),
    QueueSpec(ZKILLBOARD_CHARACTER_QUEUE, "zkillboard", 1, ZkillboardCharacterMessage),
    QueueSpec(ESI_USER_KILLMAILS_QUEUE, "user-killmails", 1, UserKillmailsMessage),
)

# The seed's worker names (PM2 `worker-*` without the prefix) -> queue name.
WORKERS: Mapping[str, str] = MappingProxyType({spec.worker: spec.name for spec in QUEUES.values()})
