"""One job's connection to the control store that follows the file at its path, with the
growing wait between failed tries that keeps a lost store from costing a busy loop."""
from __future__ import annotations

import random
import threading
from typing import Callable, Optional, Tuple

#: The longest wait between tries, whatever the interval: a lost store costs a few tries a minute.
MAX_DELAY = 5.0


class Follower:
    """Holds a link (see ``_sqlite.SQLiteLink`` and ``_postgres.PostgresLink``) and replaces it
    when the file at the path changed or the last use failed.

    ``connection()`` returns the link and why it is a new one: ``None`` (the same), ``"failure"``
    (reopened after a failure), ``"replaced"`` or ``"rewritten"`` (the file changed). What was
    read through the old link may describe another file, so a caller re-reads after any reopening.
    """

    def __init__(self, opener: Callable[[], object], link=None):
        self._opener = opener
        self._lock = threading.Lock()
        self._link = link
        self._stale = link is None
        self.failures = 0

    def connection(self) -> Tuple[object, Optional[str]]:
        with self._lock:
            link = self._link
            change = link.file_changed() if link is not None else "failure"
            if not self._stale and change is None:
                return link, None
            fresh = self._opener()   # raises MigctlClientError; the old link stays until one opens
            if link is not None and link is not fresh:
                link.close()
            self._link, self._stale = fresh, False
            return fresh, change or "failure"

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
        with self._lock:
            if self._link is not None:
                self._link.close()
            self._link, self._stale = None, True

    def abandon(self) -> object:
        """Forgets the link without closing it or taking the lock (a forked child must not
        touch its parent's connections, and a lock a parent's thread held stays held in the
        child); returns the link so the caller can keep it from being collected."""
        link, self._link, self._stale = self._link, None, True
        self._lock = threading.Lock()
        self.failures = 0
        return link
