"""Copies what lazy migration never touched: the Swift client's ``Backfill``, in Python."""
from __future__ import annotations

import threading
import time
from typing import Optional

from . import names
from ._store import STANDARD_JOB
from .migrator import Migrator


class Backfill:
    """Walks the old store in key order and inserts each record into the new store only if the
    key is absent there, so it never overwrites a newer write and never writes over a tombstone.

    Operators steer it from the control store (``migctl backfill pause|resume|rate|batch``): each
    :meth:`step` reads the job's control first, copies nothing while it says paused, takes the
    operator's batch size once one is set, and sleeps as long as the rate limit asks. If the
    store cannot say, the last settings read stay in force.

    It counts ``backfill`` (records copied, each as it is copied) and sets the gauges
    ``backfill.total``, ``backfill.done`` (records walked) and ``backfill.remaining``. It can be
    paused and resumed from another thread, and restarted after a crash from its :attr:`cursor`
    (persist it with :attr:`done` after each :meth:`step`)::

        backfill = Backfill(migrator, batch_size=500, cursor=saved_cursor, done=saved_done)
        while backfill.step():
            save(backfill.cursor, backfill.done)
    """

    def __init__(self, migrator: Migrator, batch_size: int = 500, cursor: Optional[str] = None, done: int = 0):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise TypeError("batch_size is a whole number")
        self.migrator = migrator
        self.batch_size = max(1, batch_size)
        self._lock = threading.Lock()
        self._cursor, self._done, self._finished = cursor, max(0, int(done)), False
        self._paused = threading.Event()
        self._control = STANDARD_JOB
        self._next_start: Optional[float] = None   # the rate limit's booking (time.monotonic)

    @property
    def cursor(self) -> Optional[str]:
        """The last key walked: restart from here."""
        return self._cursor

    @property
    def done(self) -> int:
        """How many records were walked, this run and the one it resumed."""
        return self._done

    @property
    def control(self):
        """What the operators asked of the backfill, as last read (``JobControl``)."""
        return self._control

    def _wait_for_rate(self, rows: int, rate: int) -> None:
        """Spaces batches so that at most ``rate`` rows a second are copied (0: no limit): a batch
        of ``rows`` may start ``rows / rate`` seconds after the previous one started."""
        if rate <= 0:
            self._next_start = None
            return
        now = time.monotonic()
        start = max(now, self._next_start or now)
        self._next_start = start + rows / rate
        if start > now:
            time.sleep(start - now)

    @property
    def is_finished(self) -> bool:
        return self._finished

    @property
    def is_paused(self) -> bool:
        return self._paused.is_set()

    def pause(self) -> None:
        """The next :meth:`step` copies nothing and returns False, until :meth:`resume`."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def step(self) -> bool:
        """Copies one batch; returns False when paused or finished. The stores' exceptions are
        the caller's: the cursor only moves past a batch that was copied in full."""
        if self.is_paused:
            return False
        with self._lock:
            if self._finished:
                return False
            control = self.migrator.client.job_control("backfill") or self._control
            self._control = control
            if control.paused:
                return False
            size = control.batch if control.set else self.batch_size
            self._wait_for_rate(size, control.rate)
            migrator = self.migrator
            batch = migrator.old.scan(self._cursor, size)
            copied = migrator.client.counter(names.BACKFILL)
            for key, value in batch:
                if migrator.new.put_if_absent(key, value, "backfill"):
                    copied.add()
            total = migrator.old.count()
            if batch:
                self._cursor = batch[-1][0]
            self._done += len(batch)
            self._finished = len(batch) < size
            done = max(self._done, total) if self._finished else self._done
            gauge = migrator.client.gauge
            gauge(names.BACKFILL_TOTAL, total)
            gauge(names.BACKFILL_DONE, min(done, total))
            gauge(names.BACKFILL_REMAINING, 0 if self._finished else max(0, total - done))
            return not self._finished
