"""The application's side of a migration: routes from memory, cheap counts, the fleet heartbeat."""
from __future__ import annotations

import atexit
import logging
import math
import os
import secrets
import socket
import threading
import time
import weakref
from typing import Dict, Optional

from . import _incidents as incident
from ._bucketing import hasher, refuse_key
from ._counter import MAX_COUNT, Counter
from ._follow import Follower
from ._model import NAME, Phase, Route, Snapshot, StateProblem
from ._postgres import PostgresLink, is_url
from ._sqlite import Foreign, Heartbeat, Refused, SQLiteLink
from ._text import safe
from .errors import MigctlClientError

#: How many counters' counts are kept while the store takes no writes (the client's own
#: ``client.*`` ones always are); what does not fit is dropped, logged and counted.
CARRIED_NAMES_LIMIT = 4096

_clients: "weakref.WeakSet[Client]" = weakref.WeakSet()
#: Connections a forked child inherited: never used, never closed (closing one would end the
#: parent's PostgreSQL session, or disturb its SQLite locks), kept from the collector.
_inherited = []


class Client:
    """Takes part in a migration: ``route(key)`` says where a key reads and writes, from memory;
    ``counter(name).add()`` counts; a flusher writes the counts with this process's heartbeat.

    ``db`` is a SQLite control database's path or a ``postgresql://`` URL (``?schema=NAME``).
    The constructor reads the state once and raises :class:`MigctlClientError` when it cannot:
    a fresh process fails fast. From then on nothing the store does raises into the
    application: an unreadable store, a bad row or a replaced file leave the last good state in
    force, and each is logged to ``logger`` (``logging.getLogger("migctl_client")`` by default;
    the library never configures logging) and counted in a ``client.*`` counter.

    Use it as a context manager, or call :meth:`shutdown`, which flushes every last count and
    leaves the fleet. A client survives ``os.fork()``: the child gets a new instance id, no
    counts of its parent's and connections of its own.
    """

    def __init__(self, db: str, *, refresh_interval: float = 0.25, flush_interval: float = 1.0,
                 logger: Optional[logging.Logger] = None):
        if not isinstance(db, (str, os.PathLike)):
            raise TypeError("db is a path or a postgresql:// URL")
        db = os.fspath(db)
        if not math.isfinite(refresh_interval) or not math.isfinite(flush_interval) \
                or refresh_interval <= 0 or flush_interval <= 0:
            raise ValueError("refresh_interval and flush_interval are positive numbers of seconds")
        self.location = db
        self.refresh_interval = float(refresh_interval)
        self.flush_interval = float(flush_interval)
        self.logger = logger or logging.getLogger("migctl_client")
        self._postgres = is_url(db)
        if self._postgres:
            link = PostgresLink(db)
            self._reader = self._writer = Follower(lambda: PostgresLink(db), link)
        else:
            reader = SQLiteLink(db, read_only=True)
            self._reader = Follower(lambda: SQLiteLink(db, read_only=True), reader)
            self._writer = Follower(lambda: SQLiteLink(db, read_only=False), None)
        first_link, _ = self._reader.connection()
        try:
            self._token = first_link.change_token() if not self._postgres else None
            first = first_link.read()
        except StateProblem as problem:
            raise MigctlClientError(f"the control store at {safe(db)} cannot be routed by: {problem}") from None
        self.salt = first.salt
        self._bucket_of = hasher(first.salt)
        self._start_state(first)
        _clients.add(self)

    def _start_state(self, first: Snapshot) -> None:
        """Everything a process (or a forked child) starts with, and its threads."""
        self._snapshot = first
        self._routing = (first.rollout,) + first.routes()
        self._created_at = first.created_at
        self._generation = 0
        self._snapshot_generation = 0
        self._foreign = False
        self._refused = None   # the last unusable state's sentence, said once
        self._refresh_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._names_lock = threading.Lock()
        self._counters: Dict[str, Counter] = {}
        self._carried: Dict[str, int] = {}
        self._gauges: Dict[str, float] = {}
        self._refresh_errors = 0
        self._last_refreshed = time.monotonic()
        self.instance_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4).upper()}"
        self._pid = os.getpid()
        self._started_at = time.time()
        self._running = True
        self._stop = threading.Event()
        self._flush_wakeup = threading.Event()
        self._threads = [_start(self, "refresher", Client._refresh_turn), _start(self, "flusher", Client._flush_turn)]

    # ---- routing ---------------------------------------------------------------------------

    def route(self, key: str) -> Route:
        """The route of ``key``: the current phase's inside the rollout, the previous phase's
        outside it. Reads memory only and takes no lock. Raises ``ValueError`` for a key that is
        not valid UTF-8 (the contract refuses to guess its bucket), ``TypeError`` for a non-str."""
        rollout, current, previous = self._routing
        try:
            return current if self._bucket_of(key) < rollout else previous
        except (UnicodeEncodeError, TypeError, AttributeError):
            refuse_key(key)
            raise

    def phase(self, key: str) -> Phase:
        """The whole phase ``key`` gets now (its id, reads, writes, whether it is irreversible)."""
        snapshot = self._snapshot
        route = self.route(key)
        return snapshot.phases[route.position - 1] if snapshot.phases[route.position - 1].id == route.phase \
            else next(p for p in snapshot.phases if p.id == route.phase)

    @property
    def current(self) -> Snapshot:
        """The state this process routes by: salt, plan, phase, rollout (basis points), version."""
        return self._snapshot

    @property
    def refresh_errors(self) -> int:
        """Refreshes that left the state as it was since start (also the counter ``client.refresh.error``)."""
        return self._refresh_errors

    @property
    def is_stale(self) -> bool:
        """No refresh succeeded for longer than the plan's serving lease: routing may be behind."""
        return time.monotonic() - self._last_refreshed > self._snapshot.serving_lease

    # ---- counting --------------------------------------------------------------------------

    def counter(self, name: str) -> Counter:
        """The counter ``name``, to keep and add to on a hot path. Names match
        ``[a-z0-9][a-z0-9._-]{0,63}``; any other name gives the counter ``client.bad-name``."""
        try:
            found = self._counters.get(name)   # a name seen before: no check again
        except TypeError:                      # unhashable: not a name
            found = None
        if found is not None:
            return found
        key = name if isinstance(name, str) and NAME.match(name) else incident.BAD_NAME
        with self._names_lock:
            return self._counters.setdefault(key, Counter(key))

    def count(self, name: str, amount: int = 1) -> None:
        """Adds ``amount`` to counter ``name`` in memory; the flusher writes it within a second."""
        self.counter(name).add(amount)

    def gauge(self, name: str, value: float) -> None:
        """Sets gauge ``name`` to ``value`` with the next flush (the last value set wins).

        Raises ``ValueError`` for a name outside ``[a-z0-9][a-z0-9._-]{0,63}`` or a value that is
        not a finite number: the store would refuse either."""
        if not isinstance(name, str) or not NAME.match(name):
            raise ValueError(f"'{safe(name)}' is not a gauge name: [a-z0-9][a-z0-9._-]{{0,63}}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"gauge '{name}' takes a finite number, not {safe(value)}")
        with self._names_lock:
            self._gauges[name] = float(value)

    # ---- lifecycle -------------------------------------------------------------------------

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stops the background threads, flushes every pending count (retrying while the store is
        busy, up to ``timeout`` seconds) and removes this instance from the fleet. Idempotent;
        routing keeps working from memory afterwards, but counts are no longer written."""
        if not self._running:
            return
        self._running = False
        self._stop.set()
        self._flush_wakeup.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)
        deadline = time.monotonic() + timeout
        while not self.flush() and self._pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            link, _ = self._writer.connection()
            link.leave(self.instance_id)
        except Exception as error:   # the row goes silent and the fleet view says so
            self.logger.warning("migctl client %s could not leave the fleet: %s", self.instance_id, safe(str(error)))
        self._writer.close()
        if self._reader is not self._writer:
            self._reader.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    def _report(self, counter: str, level: int, message: str, times: int = 1) -> None:
        if counter == incident.REFRESH_ERROR:
            self._refresh_errors += 1
        self.logger.log(level, "migctl client %s: %s", self.instance_id, message)
        self.counter(counter).add(times)

    def _pending(self) -> bool:
        return bool(self._carried) or bool(self._gauges) or any(c.pending for c in list(self._counters.values()))

    # The refresher and flusher live in _refresh.py and _flush.py.
    from ._refresh import _refresh_turn, refresh, _adopt
    from ._flush import _flush_turn, flush, _take, _recover, _carry

    def _after_fork_in_child(self) -> None:
        if not self._running or self._pid == os.getpid():
            return
        _inherited.append(self._reader.abandon())
        if self._writer is not self._reader:
            _inherited.append(self._writer.abandon())
        location = self.location
        if self._postgres:
            self._reader = self._writer = Follower(lambda: PostgresLink(location), None)
        self._token = None
        self._start_state(self._snapshot)


def _start(client: Client, name: str, turn) -> threading.Thread:
    """A daemon thread that calls ``turn(client)`` until shutdown, waiting between turns as long
    as each returns. It holds the client weakly, never across a wait, so a client dropped
    without ``shutdown()`` ends its threads too (and ``atexit`` still flushes it)."""
    ref, stop = weakref.ref(client), client._stop

    def run() -> None:
        while True:
            current = ref()
            if current is None or not current._running:
                return
            try:
                wait = turn(current)
            except Exception as error:   # never let a background thread die silently
                current.logger.error("migctl client %s: %s failed: %s", current.instance_id, name, safe(repr(error)))
                wait = 1.0
            waiter = current._flush_wakeup if name == "flusher" else None
            del current
            if waiter is not None:
                waiter.wait(wait)
                waiter.clear()
            elif wait > 0:
                stop.wait(wait)
            if stop.is_set():
                return

    thread = threading.Thread(target=run, name=f"migctl-client-{name}", daemon=True)
    thread.start()
    return thread


@atexit.register
def _flush_at_exit() -> None:
    for client in list(_clients):
        client.shutdown(timeout=2.0)


def _after_fork() -> None:
    for client in list(_clients):
        client._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
