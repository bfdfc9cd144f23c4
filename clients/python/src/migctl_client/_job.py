"""What the ``Backfill`` and the ``Verifier`` share: pausing from the application, the operators'
settings read before each batch (`migctl backfill|verify pause|resume|rate|batch`), the rate
limit, and the cursor kept in the store so that a job made again after a crash goes on."""
from __future__ import annotations

import threading
import time
from typing import List, Optional, Tuple

from ._store import STANDARD_JOB, JobControl
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
        self._finished = False

    @property
    def control(self) -> JobControl:
        """What the operators asked of the job, as last read."""
        return self._control

    @property
    def is_paused(self) -> bool:
        return self._paused.is_set()

    def pause(self) -> None:
        """The next :meth:`step` walks nothing and returns False, until :meth:`resume`."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    @property
    def is_finished(self) -> bool:
        return self._finished

    def step(self) -> bool:
        """Walks one batch; returns False when paused (here or by an operator) or finished. The
        stores' exceptions are the caller's, the control store's as :class:`MigctlClientError`."""
        if self.is_paused:
            return False
        with self._lock:
            if self._finished and not self._again():
                return False
            size = self._steer()
            return False if size is None else self._walk(size)

    def _again(self) -> bool:
        """Whether a finished job starts over (a new run), now; it does not by default."""
        return False

    def _walk(self, size: int) -> bool:
        """One batch of at most ``size`` records, under the job's lock; whether more may follow."""
        raise NotImplementedError

    def _steer(self) -> Optional[int]:
        """Reads the operators' settings (keeping the last ones when the store cannot say):
        None while they say paused, else the batch size, after waiting for the rate limit."""
        control = self.migrator.client.job_control(self._job) or self._control
        self._control = control
        if control.paused:
            return None
        return control.batch if control.set else self.batch_size

    def _wait_for_rate(self, rows: int) -> None:
        wait = self._limiter.delay(rows, self._control.rate, time.monotonic())
        if wait > 0:
            time.sleep(wait)

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
