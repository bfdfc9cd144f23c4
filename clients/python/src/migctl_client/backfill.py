"""Copies what lazy migration never touched: the Swift client's ``Backfill``, in Python."""
from __future__ import annotations

import threading
from typing import Optional

from . import names
from .migrator import Migrator


class Backfill:
    """Walks the old store in key order and inserts each record into the new store only if the
    key is absent there, so it never overwrites a newer write and never writes over a tombstone.

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

    @property
    def cursor(self) -> Optional[str]:
        """The last key walked: restart from here."""
        return self._cursor

    @property
    def done(self) -> int:
        """How many records were walked, this run and the one it resumed."""
        return self._done

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
            migrator = self.migrator
            batch = migrator.old.scan(self._cursor, self.batch_size)
            copied = migrator.client.counter(names.BACKFILL)
            for key, value in batch:
                if migrator.new.put_if_absent(key, value, "backfill"):
                    copied.add()
            total = migrator.old.count()
            if batch:
                self._cursor = batch[-1][0]
            self._done += len(batch)
            self._finished = len(batch) < self.batch_size
            done = max(self._done, total) if self._finished else self._done
            gauge = migrator.client.gauge
            gauge(names.BACKFILL_TOTAL, total)
            gauge(names.BACKFILL_DONE, min(done, total))
            gauge(names.BACKFILL_REMAINING, 0 if self._finished else max(0, total - done))
            return not self._finished
