"""What both stores share: the contract versions this client reads, the heartbeat it writes,
and the two ways a store can turn a write away."""
from __future__ import annotations

import re
from typing import NamedTuple, Optional

#: The contract versions this client reads: 4, and 5 (the job tables the ``Backfill`` and the
#: ``Verifier`` steer by and report to; the tombstone rule it takes from `phases.tombstones`).
SCHEMA_VERSIONS = (4, 5)

#: The longest cursor `job_progress` holds, in characters.
KEY_LIMIT = 65536
#: The longest key a mismatch record keeps whole, in characters (as the Swift client records them).
MISMATCH_KEY_LIMIT = 2000
#: The contract's instant, as stored: ``2026-11-25T12:58:08.123Z``.
_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")


class Heartbeat(NamedTuple):
    """This process's row of the fleet table."""
    id: str
    host: str
    pid: int
    serving_version: int
    started_at: float
    stale: bool


class JobControl(NamedTuple):
    """How operators want a job to run (`migctl backfill|verify pause|resume|rate|batch`): paused
    or running, at most ``rate`` rows a second (0: no limit), ``batch`` rows a batch; ``set`` is
    whether an operator changed it at all (else the application's own batch size stands), and
    ``changed_at`` when (an instant as stored; `migctl verify restart` moves only that)."""
    paused: bool
    rate: int
    batch: int
    set: bool
    changed_at: Optional[str] = None


#: A job nobody has steered: running, no rate limit, batches of 500.
STANDARD_JOB = JobControl(False, 0, 500, False)


def job_control_from_row(row) -> JobControl:
    """A `job_control` row (paused, rate, batch, changed_at); one that breaks the contract's
    limits reads as paused (a damaged brake never speeds a job up)."""
    if row is None:
        return STANDARD_JOB
    paused, rate, batch, changed_at = row
    valid = paused in (0, 1) and not isinstance(paused, float) and isinstance(rate, int) and not isinstance(rate, bool) \
        and 0 <= rate <= 1_000_000_000 and isinstance(batch, int) and not isinstance(batch, bool) and 1 <= batch <= 100_000 \
        and _instant(changed_at)
    return JobControl(bool(paused), rate, batch, True, changed_at) if valid else JobControl(True, 0, 500, True)


class JobProgress(NamedTuple):
    """Where a job is (`job_progress`): the last key walked (None: none yet), how many records
    it walked of how many, when this run started and finished (instants as stored), the client
    instance that runs it; for the verifier also the phase the run started in, when that phase
    was entered, and how many mismatches the run found; why the plan's health throttle slows or
    pauses the job (written, never read back: each save says what holds then)."""
    cursor: Optional[str]
    done: int
    total: Optional[int]
    started_at: str
    finished_at: Optional[str]
    instance: str
    since_phase: Optional[str] = None
    phase_entered_at: Optional[str] = None
    mismatches: int = 0
    throttled: Optional[str] = None


class Mismatch(NamedTuple):
    """A key the verifier found missing, deleted or different (`verify_mismatches`): each side's
    digest (64 hex digits, or ``absent`` / ``tombstone``) and when it was found."""
    key: str
    old_digest: str
    new_digest: str
    found_at: str


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _instant(value) -> bool:
    return isinstance(value, str) and _INSTANT.match(value) is not None


def job_progress_from_row(row) -> Optional[JobProgress]:
    """A `job_progress` row (its columns in :class:`JobProgress`'s order), or None when there is
    none or it breaks the contract: a job with no usable record starts again, which the backfill's
    insert-if-absent makes harmless and which gives the verifier a new run."""
    if row is None:
        return None
    cursor, done, total, started_at, finished_at, instance, since_phase, phase_entered_at, mismatches = row
    valid = (cursor is None or (isinstance(cursor, str) and len(cursor) <= KEY_LIMIT)) and _count(done) \
        and (total is None or _count(total)) and _instant(started_at) and (finished_at is None or _instant(finished_at)) \
        and isinstance(instance, str) and (since_phase is None or isinstance(since_phase, str)) \
        and (phase_entered_at is None or _instant(phase_entered_at)) and _count(mismatches)
    return JobProgress(*row) if valid else None


def holds(text: str, postgres: bool) -> bool:
    """Whether a job table can keep ``text`` as it is: at most ``KEY_LIMIT`` characters of
    UTF-8, and no NUL on PostgreSQL (its text type has none)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return len(text) <= KEY_LIMIT and not (postgres and "\x00" in text)


def recorded(key: str, postgres: bool) -> str:
    """``key`` as a mismatch record keeps it (the Swift client's ``VerifyMismatch.recorded``): at
    most ``MISMATCH_KEY_LIMIT`` characters, a longer one cut and ending with an ellipsis; what
    the store cannot hold (NUL on PostgreSQL, lone surrogates) replaced by U+FFFD."""
    if not holds(key, postgres):
        key = key.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        if postgres:
            key = key.replace("\x00", "\ufffd")
    return key if len(key) <= MISMATCH_KEY_LIMIT else key[:MISMATCH_KEY_LIMIT - 1] + "\u2026"


class Refused(Exception):
    """The store refused a value itself (a trigger or constraint): no retry can write it."""


class Foreign(Exception):
    """The store at the path holds another migration: nothing may be written there."""
