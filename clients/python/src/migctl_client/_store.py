"""What both stores share: the contract versions this client reads, the heartbeat it writes,
and the two ways a store can turn a write away."""
from __future__ import annotations

from typing import NamedTuple

#: The contract versions this client reads: 4, and 5 (job tables it does not need yet; the
#: tombstone rule it takes from `phases.tombstones`).
SCHEMA_VERSIONS = (4, 5)


class Heartbeat(NamedTuple):
    """This process's row of the fleet table."""
    id: str
    host: str
    pid: int
    serving_version: int
    started_at: float
    stale: bool


class Refused(Exception):
    """The store refused a value itself (a trigger or constraint): no retry can write it."""


class Foreign(Exception):
    """The store at the path holds another migration: nothing may be written there."""
