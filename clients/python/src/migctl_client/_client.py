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
from typing import Dict, Optional, Sequence, Tuple

from . import _incidents as incident
from ._bucketing import hasher, refuse_key
from ._counter import Counter
from ._follow import Follower
from ._model import NAME, Phase, Route, Snapshot, StateProblem
from ._postgres import PostgresLink, is_url
from ._sqlite import SQLiteLink
from ._store import JobControl, JobProgress, Mismatch, Refused, holds, recorded
from ._text import safe
from ._throttle import Gauge
from .errors import MigctlClientError


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
        self._open_links(PostgresLink(db) if self._postgres else SQLiteLink(db, read_only=True))
        try:
            with self._reader.using() as (link, _):
                self._token = link.change_token() if not self._postgres else None
                first = link.read()
        except StateProblem as problem:
            self._reader.close()
            raise MigctlClientError(f"the control store at {safe(db)} cannot be routed by: {problem}") from None
        except BaseException:
            self._reader.close()
            raise
        self.salt = first.salt
        self._bucket_of = hasher(first.salt)
        self._start_state(first)
        _clients.add(self)

    def _open_links(self, first_link=None) -> None:
        """The reader's and the writer's followers (on PostgreSQL one, shared: one connection)."""
        db = self.location
        if self._postgres:
            self._reader = self._writer = Follower(lambda: PostgresLink(db), first_link)
        else:
            # Each follower must make the other let go of a swapped file; no reference to the
            # client itself, so dropping the client frees it at once.
            followers = []
            reader = Follower(lambda: SQLiteLink(db, read_only=True), first_link, others=lambda: followers[1:])
            writer = Follower(lambda: SQLiteLink(db, read_only=False), None, others=lambda: followers[:1])
            followers += [reader, writer]
            self._reader, self._writer = reader, writer

    def _start_state(self, first: Snapshot) -> None:
        """Everything a process (or a forked child) starts with, and its threads."""
        self._snapshot = first
        self._routing = (first.rollout,) + first.routes() + (first,)
        self._created_at = first.created_at
        self._generation = 0
        self._snapshot_generation = 0
        self._foreign = False
        self._refused = None   # the last unusable state's sentence, said once
        # Reentrant: a logging handler may call back into the client from the thread that logs.
        self._refresh_lock = threading.RLock()
        self._flush_lock = threading.RLock()
        self._shutdown_lock = threading.RLock()
        self._names_lock = threading.Lock()
        for counter in getattr(self, "_counters", {}).values():
            counter._reset()   # a forked child: handles taken before the fork count for the child now
        self._counters: Dict[str, Counter] = getattr(self, "_counters", {})
        self._carried: Dict[str, int] = {}
        self._gauges: Dict[str, float] = {}
        self._said = set()
        self._refresh_errors = 0
        self._last_refreshed = time.monotonic()
        self.instance_id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4).upper()}"
        self._pid = os.getpid()
        self._started_at = time.time()
        self._running = True
        self._shutting_down = False
        self._finished = False
        self._stop = threading.Event()
        self._threads = [_start(self, "refresher", Client._refresh_turn), _start(self, "flusher", Client._flush_turn)]

    # ---- routing ---------------------------------------------------------------------------

    def route(self, key: str) -> Route:
        """The route of ``key``: the current phase's inside the rollout, the previous phase's
        outside it. Reads memory only and takes no lock. Raises ``ValueError`` for a key that is
        not valid UTF-8 (the contract refuses to guess its bucket), ``TypeError`` for a non-str."""
        rollout, current, previous, _ = self._routing
        try:
            return current if self._bucket_of(key) < rollout else previous
        except (UnicodeEncodeError, TypeError, AttributeError):
            refuse_key(key)
            raise

    def phase(self, key: str) -> Phase:
        """The whole phase ``key`` gets now (its id, reads, writes, whether it is irreversible)."""
        rollout, current, previous, snapshot = self._routing   # one read: the route and its plan agree
        try:
            route = current if self._bucket_of(key) < rollout else previous
        except (UnicodeEncodeError, TypeError, AttributeError):
            refuse_key(key)
            raise
        return next(p for p in snapshot.phases if p.id == route.phase)

    @property
    def current(self) -> Snapshot:
        """The state this process routes by: salt, plan, phase, rollout (basis points), version."""
        return self._routing[3]

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
        try:
            number = float(value) if not isinstance(value, bool) and isinstance(value, (int, float)) else math.nan
        except OverflowError:   # an int beyond a double's range
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(f"gauge '{name}' takes a finite number, not {safe(value)}")
        with self._names_lock:
            self._gauges[name] = number

    # ---- lifecycle -------------------------------------------------------------------------

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stops the background threads, flushes every pending count (retrying while the store is
        busy) and removes this instance from the fleet, returning within ``timeout`` seconds
        whatever the store does (what is still unwritten then is logged). Idempotent, and a
        second caller waits for the first; routing keeps working from memory afterwards, but
        counts are no longer written."""
        deadline = time.monotonic() + timeout
        if not self._shutdown_lock.acquire(timeout=max(0.0, timeout)):
            return
        try:
            if self._finished or self._shutting_down:   # done, or called back from inside (a log handler)
                return
            self._shutting_down = True
            self._running = False
            self._stop.set()
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join(max(0.0, deadline - time.monotonic()))
            # The last flushes and the leaving on a thread of their own, so a store that hangs
            # costs the caller no more than the timeout.
            last = threading.Thread(target=self._last_flush, args=(deadline,), name="migctl-client-shutdown", daemon=True)
            last.start()
            last.join(max(0.0, deadline - time.monotonic()))
            if last.is_alive() or self._pending():
                self._log(incident.ERROR, f"shutdown ran out of its {timeout:g} s with counts still unwritten; they are lost")
            self._finished = True
        finally:
            self._shutdown_lock.release()

    def _last_flush(self, deadline: float) -> None:
        while not self.flush(_final=True) and self._pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            with self._writer.using() as (link, _):
                link.leave(self.instance_id)
        except Exception as error:   # the row goes silent, and the fleet view says so
            self._log(incident.WARNING, f"could not leave the fleet: {safe(str(error))}")
        self._writer.close()
        if self._reader is not self._writer:
            self._reader.close()

    def __del__(self) -> None:
        # Dropped without shutdown(): still flush and leave, as the Swift client's deinit does.
        try:
            if getattr(self, "_running", False):
                self.shutdown(timeout=2.0)
        except Exception:
            pass

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    def _report(self, counter: str, level: int, message: str, times: int = 1) -> None:
        if counter == incident.REFRESH_ERROR:
            self._refresh_errors += 1
        self.counter(counter).add(times)
        self._log(level, message)

    def _log(self, level: int, message: str) -> None:
        """One line to the application's logger; a handler that raises costs the line, never a thread."""
        try:
            self.logger.log(level, "migctl client %s: %s", self.instance_id, safe(message, limit=2000))
        except Exception:
            pass

    def job_control(self, job: str) -> Optional[JobControl]:
        """How operators want ``job`` (``"backfill"`` or ``"verify"``) to run, read from the store
        now; None when the store cannot say (the caller keeps what it knew). Never raises."""
        try:
            with self._reader.using() as (link, _):
                return link.job_control(job)
        except Exception as error:
            self._log(incident.WARNING, f"could not read the {job} job's control: {safe(str(error))}")
            return None

    def _stored_gauges(self) -> Optional[Tuple[Dict[str, Gauge], float]]:
        """Every gauge as stored now and the clock they are judged by (the store's), for the
        jobs' health throttle; None when the store cannot say (the job keeps its last decision).
        Never raises."""
        try:
            with self._reader.using() as (link, _):
                return link.gauges()
        except Exception as error:
            self._log(incident.WARNING, f"could not read the gauges the plan throttles on: {safe(str(error))}")
            return None

    def _say_once(self, level: int, message: str) -> None:
        """Logs ``message`` the first time only (a damaged plan is said once, not at every batch)."""
        with self._names_lock:
            if message in self._said:
                return
            self._said.add(message)
        self._log(level, message)

    # ---- the jobs' records (Backfill, Verifier) -----------------------------------------------

    def _job_store(self, use):
        """``use(link)`` on the writer's link; a failure raises :class:`MigctlClientError` (one
        sentence) and makes the next use reconnect, unless the store refused a value (the
        connection is fine). For the jobs, whose caller handles errors."""
        if self._finished or self._shutting_down:
            raise MigctlClientError("the client was shut down: a Backfill or Verifier needs a running one")
        try:
            with self._writer.using() as (link, _):
                return use(link)
        except Refused as refusal:
            raise MigctlClientError(str(refusal)) from None
        except MigctlClientError:
            self._writer.invalidate()
            raise
        except Exception as error:   # a driver's surprise
            self._writer.invalidate()
            raise MigctlClientError(f"the control store at {safe(self.location)} failed: {safe(repr(error))}") from None

    def _job_progress(self, job: str) -> Optional[JobProgress]:
        """Where ``job`` got to, as stored (None: no usable record)."""
        return self._job_store(lambda link: link.job_progress(job))

    def _phase_since(self) -> Tuple[str, str]:
        """The state's phase, as stored now, and when it was entered."""
        return self._job_store(lambda link: link.phase_since())

    def _save_job_progress(self, job: str, progress: JobProgress, mismatches: Sequence[Mismatch] = ()) -> bool:
        """``job``'s progress and the verifier's ``mismatches``, in one transaction; False on a
        store without job tables."""
        return self._job_store(lambda link: link.save_job_progress(job, progress, mismatches))

    def _holds(self, text: str) -> bool:
        """Whether the job tables can keep ``text`` (a cursor) as it is."""
        return holds(text, self._postgres)

    def _recorded(self, key: str) -> str:
        """``key`` as a mismatch record keeps it."""
        return recorded(key, self._postgres)

    def _pending(self) -> bool:
        return bool(self._carried) or bool(self._gauges) or any(c._pending for c in list(self._counters.values()))

    # The refresher and flusher live in _refresh.py and _flush.py.
    from ._refresh import _refresh_turn, refresh, _adopt
    from ._flush import _flush_turn, flush, _flush, _take, _recover, _carry

    def _before_fork(self) -> None:
        """Holds the connections across ``os.fork()``, so the child never inherits a transaction
        half done (SQLite's locks would stay held in it, by a thread that is not there)."""
        held = []
        for follower in {id(f): f for f in (self._reader, self._writer)}.values():
            if follower.lock.acquire(timeout=2.0):
                held.append(follower.lock)
        self._held_across_fork = held

    def _after_fork_in_parent(self) -> None:
        for lock in getattr(self, "_held_across_fork", []):
            lock.release()
        self._held_across_fork = []

    def _after_fork_in_child(self) -> None:
        self._held_across_fork = []
        if not self._running or self._pid == os.getpid():
            return
        _inherited.append(self._reader.abandon())
        if self._writer is not self._reader:
            _inherited.append(self._writer.abandon())
        self._open_links()
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
                current._log(incident.ERROR, f"the {name} failed unexpectedly and goes on: {safe(repr(error))}")
                wait = 1.0
            del current
            if wait > 0:
                stop.wait(wait)
            if stop.is_set():
                return

    thread = threading.Thread(target=run, name=f"migctl-client-{name}", daemon=True)
    thread.start()
    return thread


@atexit.register
def _flush_at_exit() -> None:
    for client in list(_clients):
        if client._running:
            client.shutdown(timeout=2.0)


def _each_client(method):
    def run() -> None:
        for client in list(_clients):
            try:
                method(client)
            except Exception as error:   # said, never raised into the forking application
                client._log(incident.ERROR, f"could not prepare for os.fork(): {safe(repr(error))}")
    return run


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_each_client(Client._before_fork),
                        after_in_parent=_each_client(Client._after_fork_in_parent),
                        after_in_child=_each_client(Client._after_fork_in_child))
