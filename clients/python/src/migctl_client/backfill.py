"""Copies what lazy migration never touched: the Swift client's ``Backfill``, in Python."""
from __future__ import annotations

import time
from typing import Optional

from . import names
from ._instant import instant
from ._job import Job
from ._store import JobProgress
from .migrator import Migrator


class Backfill(Job):
    """Walks the old store in key order and inserts each record into the new store only if the
    key is absent there, so it never overwrites a newer write and never writes over a tombstone.

    Operators steer it from the control store (``migctl backfill pause|resume|rate|batch``): each
    :meth:`step` reads the job's control first, copies nothing while it says paused, takes the
    operator's batch size once one is set, and sleeps as long as the rate limit asks. If the
    store cannot say, the last settings read stay in force.

    The plan steers it too: while the current phase has ``throttle`` rules, a gauge above its
    ``slow_above`` slows it to ``slow_rate`` rows a second (or the operator's rate if lower) and
    one above ``pause_above``, never reported, stale or from the future pauses it, until the
    gauge recovers (:attr:`throttled` says why). The reason is recorded in ``job_progress``
    (``throttled``) when the throttle pauses it, once per change, and with every batch.

    It counts ``backfill`` (records copied, each as it is copied) and sets the gauges
    ``backfill.total``, ``backfill.done`` (records walked), ``backfill.remaining`` and
    ``backfill.rate`` (records walked a second over about the last 30 s, paused time left out;
    0 once finished). It can be paused and resumed from another thread.

    After each batch it records where it is in the control store (``job_progress`` row
    ``backfill``: cursor, records walked, total, when this run started and finished, this
    client's instance), and a backfill made without ``cursor`` and ``done`` goes on from the
    stored cursor at its first step. A process killed mid-batch and started again copies that
    batch again, which insert-if-absent makes harmless::

        backfill = Backfill(migrator, batch_size=500)   # resumes where the last run stopped
        while backfill.step():
            pass
    """

    def __init__(self, migrator: Migrator, batch_size: int = 500, cursor: Optional[str] = None, done: int = 0):
        super().__init__(migrator, "backfill", batch_size)
        self._cursor, self._done = cursor, max(0, int(done))
        # What the store can hold of them (see Job._saved_cursor): a cursor it cannot means from the start.
        self._saved = (cursor, self._done) if cursor is None or migrator.client._holds(cursor) else (None, 0)
        self._resume_from_store = cursor is None and self._done == 0
        self._started_at = instant(time.time())

    @property
    def cursor(self) -> Optional[str]:
        """The last key walked."""
        return self._cursor

    @property
    def done(self) -> int:
        """How many records were walked, this run and the one it resumed."""
        return self._done

    def _walk(self, size: int) -> bool:
        """Copies one batch: the cursor only moves past a batch that was copied in full."""
        self._wait_for_rate(size)
        migrator = self.migrator
        batch = self._batch(self._cursor, size)
        copied = migrator.client.counter(names.BACKFILL)
        for key, value in batch:
            if migrator.new.put_if_absent(key, value, "backfill"):
                copied.add()
        total = migrator.old.count()
        self._saved = self._saved_cursor([key for key, _ in batch], self._done, self._saved)
        if batch:
            self._cursor = batch[-1][0]
        self._done += len(batch)
        self._finished = len(batch) < size
        done = max(self._done, total) if self._finished else self._done
        gauge = migrator.client.gauge
        gauge(names.BACKFILL_TOTAL, total)
        gauge(names.BACKFILL_DONE, min(done, total))
        gauge(names.BACKFILL_REMAINING, 0 if self._finished else max(0, total - done))
        self._publish_rate(len(batch), self._finished)
        cursor, walked = self._saved
        migrator.client._save_job_progress("backfill", JobProgress(
            cursor, self._done if self._finished else walked, total, self._started_at,
            instant(time.time()) if self._finished else None, migrator.client.instance_id, throttled=self.throttled))
        self._throttle_saved()
        return not self._finished

    def _record_throttle_change(self) -> None:
        """Records that the health throttle paused the backfill (or lifted), once per change,
        where it stands: operators see why a backfill stands still."""
        changed, reason = self._throttle_change()
        if not changed:
            return
        client = self.migrator.client
        try:
            total = self.migrator.old.count()
        except Exception:   # only a figure of the record: the Swift client leaves it out too
            total = None
        cursor, walked = self._saved
        client._save_job_progress("backfill", JobProgress(cursor, walked, total, self._started_at, None,
                                                          client.instance_id, throttled=reason))
        self._throttle_saved()

    def _prepare(self) -> None:
        self._resume_if_stored()

    def _resume_if_stored(self) -> None:
        """Takes the cursor a previous run stored, once, when this backfill was made without one."""
        if not self._resume_from_store:
            return
        stored = self.migrator.client._job_progress("backfill")   # raises when the store cannot say: try again
        self._resume_from_store = False
        if stored is not None and stored.cursor is not None:
            self._cursor, self._done = stored.cursor, stored.done
            self._saved = (stored.cursor, stored.done)
