"""The PostgreSQL control store (the README's *The control store on PostgreSQL*), through
psycopg 3, installed with the ``postgres`` extra: ``pip install './clients/python[postgres]'``.

A process holds one connection; the client's refresher and flusher take turns on it. The
connection LISTENs on ``<schema>_changes``: a notification is only a hint to re-read (any login
may send one), and the refresher also re-reads every few seconds and after every reconnection,
in case one was lost. Counts are bucketed by the server's clock, measured at each connection.
"""
from __future__ import annotations

import re
import selectors
import threading
import time
import urllib.parse
from typing import Dict, Optional, Sequence, Tuple

from ._model import Snapshot, snapshot_from_rows
from ._store import (SCHEMA_VERSIONS, STANDARD_JOB, Foreign, Heartbeat, JobControl, JobProgress, Mismatch, Refused,
                     job_control_from_row, job_progress_from_row)
from ._text import safe
from ._throttle import Gauge, gauge_from_row
from .errors import MigctlClientError

psycopg = sql = None   # imported by the first PostgresLink: an application on SQLite never loads libpq


def _import_psycopg() -> None:
    global psycopg, sql
    if psycopg is None:
        try:
            import psycopg as driver
            from psycopg import sql as driver_sql
        except ImportError:
            raise MigctlClientError("a postgresql:// store needs psycopg 3: pip install 'migctl-client[postgres]'") from None
        psycopg, sql = driver, driver_sql

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,39}\Z")
DEFAULT_SCHEMA = "migctl"


def is_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def split_url(url: str) -> Tuple[str, str]:
    """migctl's URL without its own ``schema`` parameter (libpq refuses it), and the schema."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for name, value in query if name == "schema"]
    schema = schemas[-1] if schemas else DEFAULT_SCHEMA
    if not _SCHEMA.match(schema) or schema.startswith("pg_"):
        raise MigctlClientError(f"the URL's schema '{safe(schema)}' is not a migctl schema name "
                                "(1-40 of a-z, 0-9 and _, starting with a letter or _, not pg_...)")
    rest = [(name, value) for name, value in query if name != "schema"]
    if not any(name == "connect_timeout" for name, _ in rest):
        rest.append(("connect_timeout", "10"))
    if not any(name == "tcp_user_timeout" for name, _ in rest):
        # A partition drops packets without a reset: give up on unacknowledged data in seconds.
        given = dict(rest).get("connect_timeout", "10")
        timeout = int(given) if given.isdigit() else 10
        rest.append(("tcp_user_timeout", str(max(1, timeout) * 1000)))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(rest, safe="/"))), schema


def _where(url: str) -> str:
    """The URL without its password (in the user part or a ``password=`` parameter), for sentences."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(":" + parts.password + "@", ":***@", 1)
    query = "&".join("password=***" if item.split("=", 1)[0] == "password" else item
                     for item in parts.query.split("&")) if parts.query else ""
    return safe(urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query)))


def _words(error: BaseException) -> str:
    """A driver's message on one line (libpq's span several), fit for a log."""
    return safe(" ".join(str(error).split()) or type(error).__name__, 300)


def _refusal(error: "psycopg.Error") -> bool:
    """A value or a rule refused it (SQLSTATE classes 22 and 23, or a trigger's exception): no retry helps."""
    state = getattr(error, "sqlstate", None) or ""
    return state.startswith(("22", "23")) or state == "P0001"   # P0001: a trigger's RAISE EXCEPTION


def _text_instant(column: str):
    """``column`` (a timestamptz) in the contract's text form, ``2026-11-25T12:58:08.123Z``."""
    return sql.SQL("to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')").format(sql.Identifier(column))


class PostgresLink:
    """The process's one connection to the store at ``url`` (a member of ``<schema>_app``)."""

    def __init__(self, url: str):
        _import_psycopg()
        self.url = url
        self.libpq, self.schema = split_url(url)
        self.lock = threading.RLock()
        self.hinted = threading.Event()
        self.opened_at = time.monotonic()
        self.offset = 0.0
        s = sql.Identifier(self.schema)
        self._s = s
        try:
            self.conn = psycopg.connect(self.libpq, autocommit=True)
        except psycopg.Error as error:
            raise MigctlClientError(f"cannot connect to {_where(url)}: {_words(error)}") from None
        try:
            try:
                row = self.conn.execute(sql.SQL("SELECT version FROM {}.schema_version").format(s)).fetchone()
            except psycopg.errors.UndefinedTable:
                raise MigctlClientError(f"no migctl control store in schema {self.schema} at {_where(url)}; "
                                        "create one with 'migctl init --db URL --name NAME'") from None
            if row is None or row[0] not in SCHEMA_VERSIONS:
                raise MigctlClientError(f"the store at {_where(url)} has schema version {safe(row and row[0])}; "
                                        f"this client reads versions {' and '.join(map(str, SCHEMA_VERSIONS))}")
            # As migctl's own connections: a change waits at most 30 s for a lock, and no statement
            # runs longer than a minute, so a held lock or a hung server never freezes the client.
            self.conn.execute("SET lock_timeout = '30s'")
            self.conn.execute("SET statement_timeout = '60s'")
            asked = time.time()
            (server,) = self.conn.execute("SELECT extract(epoch FROM clock_timestamp())::float8").fetchone()
            self.offset = float(server) - (asked + time.time()) / 2
            self.conn.add_notify_handler(lambda _: self.hinted.set())
            self.conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(f"{self.schema}_changes")))
        except psycopg.Error as error:
            self.close()
            raise MigctlClientError(f"the store at {_where(url)} failed: {_words(error)}") from None
        except MigctlClientError:
            self.close()
            raise
        self.hinted.set()   # a new connection re-reads: a notification may have been lost meanwhile

    def close(self) -> None:
        # Under the link's lock: the refresher's wait_for_hint may be reading from the connection
        # (its SELECT 1), and a connection closed under a read lets that read take the bytes of
        # the next connection given the same descriptor. A read that hangs is not waited for long.
        held = self.lock.acquire(timeout=10.0)
        try:
            self.conn.close()
        except Exception:
            pass
        finally:
            if held:
                self.lock.release()

    def file_changed(self) -> Optional[str]:
        return None

    def _failed(self, error: BaseException) -> MigctlClientError:
        return MigctlClientError(f"the store at {_where(self.url)} failed: {_words(error)}")

    def wait_for_hint(self, timeout: float) -> bool:
        """Waits up to ``timeout`` for a notification (or a dead socket); True if one came."""
        if self.hinted.is_set():
            return True
        try:
            with selectors.DefaultSelector() as selector:   # epoll: any descriptor number, unlike select()
                selector.register(self.conn.fileno(), selectors.EVENT_READ)
                ready = selector.select(timeout)
        except Exception:
            time.sleep(min(timeout, 0.25))   # a closed connection: the read that follows says why
            return True
        if ready:
            with self.lock:
                try:
                    self.conn.execute("SELECT 1")   # takes in what arrived; the handler sets the hint
                except Exception:
                    return True   # a dead connection: the read that follows says why
        # Readable is not a notification: the flusher's replies arrive on the same socket.
        return self.hinted.is_set()

    def read(self, known: Optional[Snapshot] = None) -> Snapshot:
        s = self._s
        with self.lock:
            self.hinted.clear()
            try:
                with self.conn.transaction():
                    self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    migration = self.conn.execute(
                        sql.SQL("SELECT name, created_at::text FROM {}.migration WHERE id = 1").format(s)).fetchone()
                    state = self.conn.execute(
                        sql.SQL("SELECT phase, rollout, version FROM {}.state WHERE id = 1").format(s)).fetchone()
                    if known is not None and migration == (known.salt, known.created_at) and state is not None \
                            and tuple(state) == (known.phase, known.rollout, known.version):
                        return known   # the plan is read again only with a new state (see SQLiteLink.read)
                    phases = self.conn.execute(sql.SQL(
                        "SELECT position, id, reads, writes, irreversible, gates, tombstones, automation "
                        "FROM {}.phases ORDER BY position").format(s)).fetchall()
            except psycopg.Error as error:
                raise self._failed(error) from None
        return snapshot_from_rows(migration, phases, state)

    def flush(self, salt: str, counts: Dict[str, int], gauges: Dict[str, float], heartbeat: Optional[Heartbeat]) -> None:
        """Counts (``add_counts``, by the server's second), gauges and the heartbeat in one transaction."""
        s = self._s
        second = int(time.time() + self.offset)
        with self.lock:
            try:
                with self.conn.transaction():
                    row = self.conn.execute(sql.SQL("SELECT name FROM {}.migration WHERE id = 1").format(s)).fetchone()
                    if row is None or row[0] != salt:
                        raise Foreign(f"the store at {_where(self.url)} now holds migration '{safe(row and row[0])}', not '{safe(salt)}'")
                    if counts:
                        names = list(counts)
                        self.conn.execute(sql.SQL("SELECT {}.add_counts(%s::text[], %s::bigint, %s::bigint[])").format(s),
                                          (names, second, [counts[n] for n in names]))
                    for name, value in gauges.items():
                        self.conn.execute(sql.SQL(
                            "INSERT INTO {}.gauges (name, value, updated_at) VALUES (%s, %s, now()) ON CONFLICT (name) "
                            "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at").format(s), (name, value))
                    if heartbeat is not None:
                        self.conn.execute(sql.SQL(
                            "INSERT INTO {}.instances (id, host, pid, serving_version, stale) VALUES (%s, %s, %s, %s, %s) "
                            "ON CONFLICT (id) DO UPDATE SET serving_version = excluded.serving_version, "
                            "stale = excluded.stale").format(s),
                            (heartbeat.id, heartbeat.host, heartbeat.pid, heartbeat.serving_version, heartbeat.stale))
            except psycopg.Error as error:
                if _refusal(error):
                    raise Refused(_words(error)) from None
                raise self._failed(error) from None

    def job_control(self, job: str) -> JobControl:
        """The operators' settings for ``job``; standard on a store without job tables (contract 4)."""
        with self.lock:
            try:
                exists = self.conn.execute("SELECT to_regclass(%s)", (f"{self.schema}.job_control",)).fetchone()[0]
                if exists is None:
                    return STANDARD_JOB
                row = self.conn.execute(sql.SQL("SELECT paused::int, rate, batch, {} FROM {}.job_control WHERE job = %s")
                                        .format(_text_instant("changed_at"), self._s), (job,)).fetchone()
            except psycopg.Error as error:
                raise self._failed(error) from None
        return job_control_from_row(row)

    def gauges(self) -> Tuple[Dict[str, Gauge], float]:
        """Every gauge whose row reads as the contract says, and now by the server's clock (which
        stamps them), as measured when the connection opened."""
        with self.lock:
            try:
                rows = self.conn.execute(sql.SQL("SELECT name, value, extract(epoch FROM updated_at)::float8 FROM {}.gauges")
                                         .format(self._s)).fetchall()
            except psycopg.Error as error:
                raise self._failed(error) from None
        now = time.time() + self.offset
        gauges = {}
        for name, value, updated_at in rows:
            gauge = gauge_from_row(value, updated_at)
            if gauge is not None and isinstance(name, str):
                gauges[name] = gauge
        return gauges, now

    def _has_table(self, name: str) -> bool:
        return self.conn.execute("SELECT to_regclass(%s)", (f"{self.schema}.{name}",)).fetchone()[0] is not None

    def job_progress(self, job: str) -> Optional[JobProgress]:
        """Where ``job`` got to, as stored (instants in the contract's text form); None without a
        usable row or without job tables (contract 4)."""
        with self.lock:
            try:
                if not self._has_table("job_progress"):
                    return None
                row = self.conn.execute(sql.SQL(
                    "SELECT cursor, done, total, {started}, {finished}, instance, since_phase, {entered}, mismatches "
                    "FROM {}.job_progress WHERE job = %s").format(
                        self._s, started=_text_instant("started_at"), finished=_text_instant("finished_at"),
                        entered=_text_instant("phase_entered_at")), (job,)).fetchone()
            except psycopg.Error as error:
                raise self._failed(error) from None
        return job_progress_from_row(row)

    def phase_since(self) -> Tuple[str, str]:
        """The state's phase and when it was entered (``phase_since``)."""
        with self.lock:
            try:
                row = self.conn.execute(sql.SQL("SELECT phase, {} FROM {}.state WHERE id = 1").format(
                    _text_instant("phase_since"), self._s)).fetchone()
            except psycopg.Error as error:
                raise self._failed(error) from None
        if row is None:
            raise MigctlClientError(f"the store at {_where(self.url)} has no state row")
        return row

    def save_job_progress(self, job: str, progress: JobProgress, mismatches: Sequence[Mismatch] = ()) -> bool:
        """Writes ``mismatches`` and ``job``'s progress row in one transaction (``updated_at`` is
        the server's, set by its trigger). Returns False, writing nothing, without job tables."""
        s, p = self._s, progress
        with self.lock:
            try:
                with self.conn.transaction():
                    if not self._has_table("job_progress"):
                        return False
                    if mismatches:
                        with self.conn.cursor() as cursor:
                            cursor.executemany(sql.SQL(
                                "INSERT INTO {}.verify_mismatches (run_started_at, key, old_digest, new_digest, found_at) "
                                "VALUES (%s::timestamptz, %s, %s, %s, %s::timestamptz)").format(s),
                                [(p.started_at, *found) for found in mismatches])
                    self.conn.execute(sql.SQL(
                        "INSERT INTO {}.job_progress (job, cursor, done, total, started_at, finished_at, since_phase, "
                        "phase_entered_at, mismatches, instance, throttled) VALUES (%s, %s, %s, %s, %s::timestamptz, "
                        "%s::timestamptz, %s, %s::timestamptz, %s, %s, %s) ON CONFLICT (job) DO UPDATE SET "
                        "cursor = excluded.cursor, done = excluded.done, total = excluded.total, "
                        "started_at = excluded.started_at, finished_at = excluded.finished_at, "
                        "since_phase = excluded.since_phase, phase_entered_at = excluded.phase_entered_at, "
                        "mismatches = excluded.mismatches, instance = excluded.instance, throttled = excluded.throttled"
                        ).format(s),
                        (job, p.cursor, p.done, p.total, p.started_at, p.finished_at, p.since_phase, p.phase_entered_at,
                         p.mismatches, p.instance, p.throttled))
                return True
            except psycopg.Error as error:
                if _refusal(error):
                    raise Refused(f"the store at {_where(self.url)} refused the {job} job's progress: {_words(error)}") from None
                raise self._failed(error) from None

    def leave(self, instance_id: str) -> None:
        with self.lock:
            try:
                self.conn.execute(sql.SQL("DELETE FROM {}.instances WHERE id = %s").format(self._s), (instance_id,))
            except psycopg.Error as error:
                raise self._failed(error) from None
