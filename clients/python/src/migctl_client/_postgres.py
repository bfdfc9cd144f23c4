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
from typing import Dict, Optional, Tuple

from ._model import Snapshot, snapshot_from_rows
from ._store import SCHEMA_VERSIONS, STANDARD_JOB, Foreign, Heartbeat, JobControl, Refused, job_control_from_row
from ._text import safe
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
        try:
            self.conn.close()
        except Exception:
            pass

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
                        "SELECT position, id, reads, writes, irreversible, gates, tombstones FROM {}.phases ORDER BY position").format(s)).fetchall()
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
                row = self.conn.execute(sql.SQL("SELECT paused::int, rate, batch FROM {}.job_control WHERE job = %s")
                                        .format(self._s), (job,)).fetchone()
            except psycopg.Error as error:
                raise self._failed(error) from None
        return job_control_from_row(row)

    def leave(self, instance_id: str) -> None:
        with self.lock:
            try:
                self.conn.execute(sql.SQL("DELETE FROM {}.instances WHERE id = %s").format(self._s), (instance_id,))
            except psycopg.Error as error:
                raise self._failed(error) from None
