"""One job's connection to the control store that follows the file at its path, with the
growing wait between failed tries that keeps a lost store from costing a busy loop."""
from __future__ import annotations

import contextlib
import random
import threading
from typing import Callable, Iterator, Optional, Tuple

from .errors import MigctlClientError

#: The longest wait between tries, whatever the interval: a lost store costs a few tries a minute.
MAX_DELAY = 5.0
#: Changes after which no connection of this process may stay on the old file (SQLite shares
#: its lock and shared-memory state between a process's connections to one inode).
SWAPPED = ("replaced",)


class Follower:
    """Holds a link (see ``_sqlite.SQLiteLink`` and ``_postgres.PostgresLink``) and replaces it
    when the file at the path changed or the last use failed.

    ``using()`` gives the link and why it is a new one: ``None`` (the same), ``"failure"``
    (reopened after a failure), ``"replaced"``, ``"journal"`` or ``"rewritten"`` (the file or its
    WAL changed). What was read through the old link may describe another file, so a caller
    re-reads after any reopening. When the file was swapped, ``others()`` gives the process's
    other followers of the same file: each must let go of the old file before this one opens the
    new one, or the new connection would share the old one's locks.
    """

    def __init__(self, opener: Callable[[], object], link=None, others: Callable[[], list] = lambda: []):
        self._opener = opener
        self._others = others
        self._lock = threading.RLock()
        self._link = link
        self._stale = link is None
        self.failures = 0

    @contextlib.contextmanager
    def using(self) -> Iterator[Tuple[object, Optional[str]]]:
        """The link to use now and why it is new, held for the ``with`` block: nothing closes or
        replaces it meanwhile (``close_if_idle`` waits, ``os.fork()`` waits)."""
        with self._lock:
            yield self._current()

    def reopen(self) -> object:
        """Inside ``using()``: a fresh link now (what was read may mix two files)."""
        self._stale = True
        return self._current()[0]

    def _current(self) -> Tuple[object, Optional[str]]:
        link = self._link
        change = link.file_changed() if link is not None else "failure"
        if change == "journal":
            # The WAL was deleted or swapped under the process's connections: reading through
            # them is blind, writing goes to a ghost, closing one may checkpoint stale pages
            # into the file, and a new one would share their state. Nothing is safe but to
            # stop until another file (a new inode) is put at the path.
            self._stale = True
            raise MigctlClientError(
                "the WAL of the control database (its -wal or -shm file) was deleted or replaced under this "
                "client's connections, which SQLite cannot follow; it keeps routing by what it knew and "
                "writes nothing. Restore the file as 'rm DB DB-wal DB-shm; cp BACKUP DB', or restart the process")
        if not self._stale and change is None:
            return link, None
        if change in SWAPPED:
            for other in self._others():
                if not other.close_if_idle(timeout=1.0):
                    raise MigctlClientError("the control database at the path was swapped and another of this "
                                            "client's connections still holds the old one; trying again")
        if link is not None:
            link.close()
            self._link = None
        fresh = self._opener()   # raises MigctlClientError
        self._link, self._stale = fresh, False
        return fresh, change or "failure"

    def close_if_idle(self, timeout: float) -> bool:
        """Closes the link unless it stays in use for ``timeout`` seconds; whether it did."""
        if not self._lock.acquire(timeout=timeout):
            return False
        try:
            if self._link is not None:
                self._link.close()
            self._link, self._stale = None, True
            return True
        finally:
            self._lock.release()

    def failed(self) -> None:
        with self._lock:
            self._stale = True
            self.failures += 1

    def succeeded(self) -> None:
        with self._lock:
            self.failures = 0

    def invalidate(self) -> None:
        with self._lock:
            self._stale = True

    def delay(self, interval: float) -> float:
        """``interval`` doubled per failure in a row, up to the larger of it and 5 s, with ±10% jitter
        once failing so a fleet that lost its store does not come back in step."""
        failures = self.failures
        if failures == 0:
            return interval
        wait = min(interval * (2 ** min(failures, 16)), max(interval, MAX_DELAY))
        return wait * random.uniform(0.9, 1.1)

    def close(self) -> None:
        self.close_if_idle(timeout=5.0)

    @property
    def lock(self) -> threading.RLock:
        """Held while the link is in use: held across ``os.fork()``, no transaction is half done."""
        return self._lock

    def abandon(self) -> object:
        """Forgets the link without closing it or taking the lock (a forked child must not
        touch its parent's connections, and a lock a parent's thread held stays held in the
        child); returns the link so the caller can keep it from being collected."""
        link, self._link, self._stale = self._link, None, True
        self._lock = threading.RLock()
        self.failures = 0
        return link
