"""What the ``Backfill`` and the ``Verifier`` share: pausing from the application, the operators'
settings read before each batch (`migctl backfill|verify pause|resume|rate|batch`), the plan's
health throttle (the Swift client's ``JobSteering``), the rate limit, the recent rate published
after each batch, and the cursor kept in the store so that a job made again after a crash goes on."""
from __future__ import annotations

import threading
import time
from typing import Any, List, Optional, Tuple

from . import _incidents as incident
from . import names
from ._recent import RecentRate
from ._store import STANDARD_JOB, JobControl
from ._throttle import FULL_SPEED, Decision, decide, unreadable
from .errors import ScanOrderError
from .migrator import Migrator


class RateLimiter:
    """Spaces batches so that at most ``rate`` rows a second are walked on average: a batch of
    ``rows`` may start ``rows / rate`` seconds after the previous one started (the Swift
    client's ``RateLimiter``). Pure: the caller passes the clock and sleeps for the answer."""

    def __init__(self) -> None:
        self._next_start: Optional[float] = None

    def delay(self, rows: int, rate: int, now: float) -> float:
        """Seconds to wait before a batch of ``rows`` starts at ``now`` (0: no limit), booking it."""
        if rate <= 0:
            self._next_start = None
            return 0.0
        start = max(now, self._next_start if self._next_start is not None else now)
        self._next_start = start + max(0, rows) / rate
        return start - now


class Job:
    """One job of the control store (``"backfill"`` or ``"verify"``) run by ``migrator``'s client."""

    def __init__(self, migrator: Migrator, job: str, batch_size: int):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise TypeError("batch_size is a whole number")
        self.migrator = migrator
        self.batch_size = max(1, batch_size)
        self._job = job
        self._lock = threading.Lock()
        self._paused = threading.Event()
        self._control = STANDARD_JOB
        self._limiter = RateLimiter()
        self._rate = 0                      # rows a second for the next batch: the operator's, or the throttle's if lower
        self._throttle = FULL_SPEED         # the plan's health throttle as last decided
        self._throttle_recorded = True      # whether the store has it since it changed
        self._finished = False
        self._recent = RecentRate()         # the pace, paused time left out (see _recent)

    @property
    def control(self) -> JobControl:
        """What the operators asked of the job, as last read."""
        return self._control

    @property
    def throttled(self) -> Optional[str]:
        """Why the plan's health throttle slows or pauses the job now (the sentence it records
        in ``job_progress.throttled``), None at full speed."""
        return self._throttle.reason

    @property
    def is_paused(self) -> bool:
        return self._paused.is_set()

    def pause(self) -> None:
        """The next :meth:`step` walks nothing and returns False, until :meth:`resume`."""
        self._paused.set()
        self._recent.pause()

    def resume(self) -> None:
        self._paused.clear()
        self._recent.pause()   # measured again from the next batch, not from the pause

    @property
    def is_finished(self) -> bool:
        return self._finished

    def step(self) -> bool:
        """Walks one batch; returns False when paused (here, by an operator or by the plan's
        health throttle) or finished. The stores' exceptions are the caller's, the control
        store's as :class:`MigctlClientError`."""
        if self.is_paused:
            return False
        with self._lock:
            if self._finished and not self._again():
                return False
            self._prepare()
            size = self._steer()
            if size is None:
                self._recent.pause()
                self._record_throttle_change()
                return False
            self._recent.resume(time.monotonic())   # the rate limit's wait is part of the pace
            return self._walk(size)

    def _again(self) -> bool:
        """Whether a finished job starts over (a new run), now; it does not by default."""
        return False

    def _prepare(self) -> None:
        """What a job reads before it steers (the backfill: its stored cursor)."""

    def _record_throttle_change(self) -> None:
        """Records in the store, once per change, that the health throttle paused the job."""
        raise NotImplementedError

    def _walk(self, size: int) -> bool:
        """One batch of at most ``size`` records, under the job's lock; whether more may follow."""
        raise NotImplementedError

    def _steer(self) -> Optional[int]:
        """Reads the operators' settings (keeping the last ones when the store cannot say), then
        the plan's health throttle: None while either says paused, else the batch size, the
        rate to wait for set (the operator's, or the throttle's when it is lower)."""
        control = self.migrator.client.job_control(self._job) or self._control
        self._control = control
        if control.paused:
            return None
        throttle = self._refresh_throttle()
        if throttle.paused:
            return None
        rate = control.rate
        if throttle.rate is not None:
            rate = throttle.rate if rate == 0 else min(rate, throttle.rate)
        self._rate = rate
        return control.batch if control.set else self.batch_size

    def _refresh_throttle(self) -> Decision:
        """The current phase's throttle rules against the gauges now; the last decision when the
        gauges cannot be read. A change is left for the job to record."""
        client = self.migrator.client
        snapshot = client.current
        phase = next(p for p in snapshot.phases if p.id == snapshot.phase)
        if phase.throttle_problem is not None:
            decision = unreadable(phase.id, phase.throttle_problem)
            client._say_once(incident.ERROR, f"the {self._job} job pauses: {decision.reason}")
        elif not phase.throttle:
            decision = FULL_SPEED
        else:
            read = client._stored_gauges()
            if read is None:
                return self._throttle
            decision = decide(phase.throttle, *read)
        if decision != self._throttle:
            self._throttle, self._throttle_recorded = decision, False
        return decision

    def _publish_rate(self, rows: int, finished: bool) -> None:
        """The job walked ``rows`` since the last batch: sets its recent rate in the gauge
        ``backfill.rate`` / ``verify.full.rate`` (0 once ``finished``; nothing during the first
        second, when it says little yet)."""
        self._recent.walked(rows, time.monotonic())
        rate = 0.0 if finished else self._recent.rows_per_second
        if rate is not None:
            self.migrator.client.gauge(names.BACKFILL_RATE if self._job == "backfill" else names.VERIFY_FULL_RATE, rate)

    def _throttle_change(self) -> Tuple[bool, Optional[str]]:
        """Whether the throttle changed since the store last had it, and its sentence now."""
        return not self._throttle_recorded, self._throttle.reason

    def _throttle_saved(self) -> None:
        """A save carried the throttle's sentence: the change is recorded (a failed save leaves
        it for the next one)."""
        self._throttle_recorded = True

    def _wait_for_rate(self, rows: int) -> None:
        wait = self._limiter.delay(rows, self._rate, time.monotonic())
        if wait > 0:
            time.sleep(wait)

    def _batch(self, cursor: Optional[str], size: int) -> List[Tuple[str, Any]]:
        """The next batch to walk: the old store's ``scan``, checked to return keys strictly
        after ``cursor`` in increasing order. A scan that returns the cursor again (``>=`` for
        ``>``) would make the job walk the same key forever, one out of order skip keys; the
        batch is refused whole, before anything of it is copied, judged or counted.

        Raises :class:`ScanOrderError`, or the store's own exception."""
        batch = self.migrator.old.scan(cursor, size)
        previous = cursor
        for key, _ in batch:
            if previous is not None and not key > previous:
                raise ScanOrderError(cursor, previous, key)
            previous = key
        return batch

    def _saved_cursor(self, keys: List[str], done_before: int, saved: Tuple[Optional[str], int]):
        """The cursor and count to store after walking ``keys`` (``done_before`` walked before
        them): the last key the store can hold (at most 65,536 characters; on PostgreSQL, no
        NUL) and how many were walked up to it, else ``saved``, the last ones stored. A job
        resumed from it walks the keys after it again rather than skip any."""
        holds = self.migrator.client._holds
        for index in range(len(keys) - 1, -1, -1):
            if holds(keys[index]):
                return keys[index], done_before + index + 1
        return saved
