"""The refresher: notices changes to the control store and swaps in a new immutable snapshot.

Methods of :class:`~migctl_client.Client`, kept here so each file has one job. Refreshes run one
at a time; only a strictly newer version of the same store is published, or any version of a
store met later (a file replaced or restored from a backup), never one of another migration.
"""
from __future__ import annotations

import time
from typing import Optional

from . import _incidents as incident
from ._model import Snapshot, StateProblem
from ._text import safe
from .errors import MigctlClientError

#: On PostgreSQL: how often the state is re-read without a notification, and the least time
#: between two reads however many notifications arrive (any login may send them).
POSTGRES_POLL = 5.0
POSTGRES_MIN_GAP = 0.01


def _refresh_turn(self) -> float:
    """One turn of the refresher thread; returns how long to wait before the next."""
    if not self._postgres:
        self.refresh()
        return self._reader.delay(self.refresh_interval)
    try:
        with self._reader.using() as (link, _):
            pass
    except MigctlClientError as error:
        self._reader.failed()
        delay = self._reader.delay(self.refresh_interval)
        self._report(incident.REFRESH_ERROR, incident.WARNING,
                     f"could not read the migration state, routing stays as it was; trying again in {delay:.1f} s: {error}")
        return delay
    deadline = time.monotonic() + POSTGRES_POLL
    while self._running and not link.wait_for_hint(min(0.25, max(0.0, deadline - time.monotonic()))):
        if time.monotonic() >= deadline:
            break
    if not self._running:
        return 0.0
    self.refresh()
    return POSTGRES_MIN_GAP if self._reader.failures == 0 else self._reader.delay(self.refresh_interval)


def refresh(self) -> None:
    """Reads the state now if the store changed: called by the refresher thread, and by a caller
    that just changed the state and wants to route by it at once. Never raises."""
    if self._finished:
        return
    with self._refresh_lock:
        try:
            with self._reader.using() as (link, reopened):
                _refresh(self, link, reopened)
        except MigctlClientError as error:
            self._reader.failed()
            delay = self._reader.delay(self.refresh_interval)
            self._report(incident.REFRESH_ERROR, incident.WARNING,
                         f"could not read the migration state, routing stays as it was; trying again in {delay:.1f} s: {error}")
        except Exception as error:   # a driver's surprise must not stop routing either
            self._reader.failed()
            self._report(incident.REFRESH_ERROR, incident.ERROR,
                         f"reading the migration state failed unexpectedly, routing stays as it was: {safe(repr(error))}")


def _refresh(self, link, reopened) -> None:
    token = None
    if not self._postgres:
        token = link.change_token()
        if reopened is None and token == self._token:
            self._reader.succeeded()
            if self._refused is None:   # unchanged, and routed by: the state in force is current
                self._last_refreshed = time.monotonic()
            return
    known = self._snapshot
    try:
        snapshot = link.read(None if reopened else known)
        if not self._postgres and reopened is None and snapshot.version < known.version:
            # Versions only grow within a file: this one was written behind SQLite's back, and
            # the connection's cache may mix two files. Read it again afresh.
            link = self._reader.reopen()
            reopened, token = "rewritten", link.change_token()
            snapshot = link.read()
    except StateProblem as problem:
        self._reader.succeeded()   # the store answers; its rows are what is wrong
        said = self._refused == str(problem)   # said once, not at every re-read (each flush moves the token)
        self._token, self._refused = token, str(problem)
        if not said:
            self._report(incident.REFRESH_ERROR, incident.ERROR,
                         f"the control store holds a state this client cannot route by ({problem}); "
                         f"routing stays at version {known.version} ('{safe(known.phase)}')")
        return
    if snapshot.salt != self.salt:
        self._foreign = True
        raise MigctlClientError(f"{safe(self.location)} now holds migration '{safe(snapshot.salt)}', not "
                                f"'{safe(self.salt)}'; this client keeps routing by what it knew and writes nothing there")
    self._foreign = False
    change = _store_change(reopened, (self._created_at, snapshot.created_at), (known.version, snapshot.version))
    if change is not None:
        self._created_at = snapshot.created_at
        self._generation += 1
        if self._writer is not self._reader:
            self._writer.invalidate()
        self._report(incident.FILE_CHANGED, incident.WARNING,
                     f"the control store at {safe(self.location)} is not the one this client had open: {change}; "
                     f"now following it at version {snapshot.version} ('{safe(snapshot.phase)}')")
    self._token, self._refused = token, None
    self._adopt(snapshot, self._generation)
    self._reader.succeeded()
    self._last_refreshed = time.monotonic()


def _store_change(reopened: Optional[str], created_at, version) -> Optional[str]:
    """What makes the store read now another one than the one followed so far, in words."""
    if created_at[1] != created_at[0]:
        return f"it holds a database created at {safe(created_at[1])}, not the one created at {safe(created_at[0])}"
    if version[1] < version[0]:
        return f"its state went back from version {version[0]} to {version[1]} (restored from a backup?)"
    if reopened == "replaced":
        return "another file is at the path (replaced, e.g. from a backup)"
    return None


def _adopt(self, snapshot: Snapshot, generation: int) -> None:
    """Publishes ``snapshot`` if it is newer than the one in force, or from a store met later.
    One assignment swaps the routes and the snapshot, so ``route()``, ``phase()`` and ``current``
    never see half of a change."""
    if generation > self._snapshot_generation or snapshot.version > self._snapshot.version:
        self._snapshot = snapshot
        self._snapshot_generation = generation
        self._routing = (snapshot.rollout,) + snapshot.routes() + (snapshot,)
