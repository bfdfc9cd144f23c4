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


class JobControl(NamedTuple):
    """How operators want a job to run (`migctl backfill pause|resume|rate|batch`): paused or
    running, at most ``rate`` rows a second (0: no limit), ``batch`` rows a batch; ``set`` is
    whether an operator changed it at all (else the application's own batch size stands)."""
    paused: bool
    rate: int
    batch: int
    set: bool


#: A job nobody has steered: running, no rate limit, batches of 500.
STANDARD_JOB = JobControl(False, 0, 500, False)


def job_control_from_row(row) -> JobControl:
    """A `job_control` row; one that breaks the contract's limits reads as paused (a damaged
    brake never speeds a job up)."""
    if row is None:
        return STANDARD_JOB
    paused, rate, batch = row
    valid = paused in (0, 1) and not isinstance(paused, float) and isinstance(rate, int) and not isinstance(rate, bool) \
        and 0 <= rate <= 1_000_000_000 and isinstance(batch, int) and not isinstance(batch, bool) and 1 <= batch <= 100_000
    return JobControl(bool(paused), rate, batch, True) if valid else JobControl(True, 0, 500, True)


class Refused(Exception):
    """The store refused a value itself (a trigger or constraint): no retry can write it."""


class Foreign(Exception):
    """The store at the path holds another migration: nothing may be written there."""
