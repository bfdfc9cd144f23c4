"""The SQLite control store, as the contract's *Opening* and *Instances* sections describe it.

One :class:`SQLiteLink` is one connection for one job: the refresher reads through a read-only
one, the flusher writes through its own, so a flush waiting for the write lock never holds back
the state routing depends on. Every connection opens the file without ever creating it, checks
the schema version, and remembers which file it opened (device, inode, size, modification time)
so a file replaced at the path, or rewritten behind SQLite's back, is noticed with one ``stat``.
"""
from __future__ import annotations

import os
import sqlite3
import stat
import time
import urllib.parse
from typing import Dict, NamedTuple, Optional, Sequence, Tuple

from ._instant import instant
from ._model import Snapshot, StateProblem, snapshot_from_rows
from ._store import (SCHEMA_VERSIONS, STANDARD_JOB, Foreign, Heartbeat, JobControl, JobProgress, Mismatch, Refused,
                     job_control_from_row, job_progress_from_row)
from ._text import safe
from ._throttle import Gauge, gauge_from_row, instant_seconds
from .errors import MigctlClientError

#: How long a write waits for SQLite's write lock before the flush gives up and keeps its counts.
WRITE_LOCK_WAIT = 5.0


class FileMark(NamedTuple):
    device: int
    inode: int
    size: int
    modified: int

    @staticmethod
    def of(path: str) -> Optional["FileMark"]:
        try:
            info = os.stat(path)
        except OSError:
            return None
        return FileMark(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _sentence(error: BaseException, path: str) -> str:
    text = str(error) or type(error).__name__
    if isinstance(error, sqlite3.OperationalError) and "unable to open" in text:
        return (f"no control database at {safe(path)} (or it cannot be opened); create one with "
                "'migctl init --name NAME' or pass the path of an existing one")
    return f"the control database at {safe(path)} failed: {safe(text)}"


def _identity(path: str) -> Optional[Tuple[int, int]]:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _strict_text(data: bytes) -> str:
    """Text read from a row: UTF-8, or a ``UnicodeDecodeError`` that :meth:`SQLiteLink.read` reports."""
    return data.decode("utf-8")


class SQLiteLink:
    """One connection to the control database at ``path``."""

    def __init__(self, path: str, read_only: bool):
        self.path = path
        self.read_only = read_only
        self.mark = FileMark.of(path)
        if self.mark is not None and not stat.S_ISREG(os.stat(path).st_mode):
            raise MigctlClientError(f"{safe(path)} is not a regular file, so not a control database")
        mode = "ro" if read_only else "rw"
        uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=" + mode
        try:
            self.db = sqlite3.connect(uri, uri=True, timeout=WRITE_LOCK_WAIT, isolation_level=None,
                                      check_same_thread=False)
        except sqlite3.Error as error:
            raise MigctlClientError(_sentence(error, path)) from None
        self.db.text_factory = _strict_text
        try:
            (version,) = self.db.execute("PRAGMA user_version").fetchone()
        except sqlite3.Error as error:
            self.close()
            raise MigctlClientError(_sentence(error, path)) from None
        # The WAL and its index, as this connection found them: deleted or swapped behind
        # SQLite's back, they leave this connection (and any other of the process) blind.
        self.journals = tuple(_identity(path + suffix) for suffix in ("-wal", "-shm"))
        if version not in SCHEMA_VERSIONS:
            self.close()
            what = "is not a migctl control database" if version == 0 else f"has schema version {version}"
            raise MigctlClientError(f"{safe(path)} {what}; this client reads versions {' and '.join(map(str, SCHEMA_VERSIONS))} "
                                    "(run 'migctl upgrade' on an older one, or use a newer client)")

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass

    def file_changed(self) -> Optional[str]:
        """``"replaced"`` when another file (or none) is at the path, ``"journal"`` when its WAL or
        WAL index was deleted or swapped, ``"rewritten"`` when the file was written outside
        SQLite's journal (a checkpoint, or a backup copied over it), else None."""
        now = FileMark.of(self.path)
        if now is None or self.mark is None or (now.device, now.inode) != (self.mark.device, self.mark.inode):
            return "replaced"
        if any(was is not None and _identity(self.path + suffix) != was
               for was, suffix in zip(self.journals, ("-wal", "-shm"))):
            return "journal"
        return None if now == self.mark else "rewritten"

    def change_token(self) -> int:
        """Moves whenever another connection commits (``PRAGMA data_version``) or this one writes."""
        try:
            (version,) = self.db.execute("PRAGMA data_version").fetchone()
            return int(version) + self.db.total_changes
        except sqlite3.Error as error:
            raise MigctlClientError(_sentence(error, self.path)) from None

    def read(self, known: Optional[Snapshot] = None) -> Snapshot:
        """``migration``, ``phases`` and ``state`` in one transaction, so they agree. When the
        migration and the state version are ``known``'s, the plan is not read again (the store's
        rules keep a plan from changing) and ``known`` comes back: other processes' counts move
        the file's change token every second, and a large plan must not be parsed each time."""
        db = self.db
        try:
            db.execute("BEGIN")
            try:
                migration = db.execute("SELECT name, created_at FROM migration WHERE id = 1").fetchone()
                state = db.execute("SELECT phase, rollout, version FROM state WHERE id = 1").fetchone()
                if known is not None and migration == (known.salt, known.created_at) and state is not None \
                        and tuple(state) == (known.phase, known.rollout, known.version):
                    return known
                # automation as bytes: text that is not UTF-8 there costs the jobs their throttle, not routing.
                phases = db.execute("SELECT position, id, reads, writes, irreversible, gates, tombstones, "
                                    "CAST(automation AS BLOB) FROM phases ORDER BY position").fetchall()
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")   # read only: nothing to keep, and it never hides the error
        except sqlite3.Error as error:
            raise MigctlClientError(_sentence(error, self.path)) from None
        except ValueError as error:   # text that is not UTF-8 in a row
            raise StateProblem(f"a row holds text that is not UTF-8 ({safe(str(error))})") from None
        return snapshot_from_rows(migration, phases, state)

    def flush(self, salt: str, counts: Dict[str, int], gauges: Dict[str, float], heartbeat: Optional[Heartbeat]) -> None:
        """Adds ``counts`` to the current second's buckets, sets ``gauges`` and writes the
        heartbeat, in one ``BEGIN IMMEDIATE`` transaction, after checking that the file still
        holds migration ``salt``. Counts are stamped by this host's clock, as SQLite stamps.

        Raises :class:`Refused` when the store refused a value, :class:`Foreign` for another
        migration's file, :class:`MigctlClientError` when it takes no writes now.
        """
        db = self.db
        now = time.time()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT name FROM migration WHERE id = 1").fetchone()
                if row is None or row[0] != salt:
                    raise Foreign(f"{safe(self.path)} now holds migration '{safe(row and row[0])}', not '{safe(salt)}'")
                for name, value in counts.items():   # what counter_add does, as the Swift client writes it
                    db.execute("INSERT INTO counters (name, second, value) VALUES (?, ?, ?) ON CONFLICT (name, second) "
                               "DO UPDATE SET value = CASE WHEN value > 9223372036854775807 - excluded.value "
                               "THEN 9223372036854775807 ELSE value + excluded.value END", (name, int(now), value))
                for name, value in gauges.items():
                    db.execute("INSERT INTO gauges (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) "
                               "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                               (name, value, instant(now)))
                if heartbeat is not None:
                    db.execute(
                        "INSERT INTO instances (id, host, pid, serving_version, heartbeat_at, started_at, stale) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                        "serving_version = excluded.serving_version, heartbeat_at = excluded.heartbeat_at, "
                        "stale = excluded.stale",
                        (heartbeat.id, heartbeat.host, heartbeat.pid, heartbeat.serving_version, instant(now),
                         instant(heartbeat.started_at), int(heartbeat.stale)))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.IntegrityError as error:   # a trigger's RAISE(ABORT) or a constraint
            raise Refused(safe(str(error))) from None
        except sqlite3.Error as error:
            raise MigctlClientError(_sentence(error, self.path)) from None

    def job_control(self, job: str) -> JobControl:
        """The operators' settings for ``job``; standard on a store without job tables (contract 4)."""
        try:
            if self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job_control'").fetchone() is None:
                return STANDARD_JOB
            return job_control_from_row(
                self.db.execute("SELECT paused, rate, batch, changed_at FROM job_control WHERE job = ?", (job,)).fetchone())
        except sqlite3.Error as error:
            raise MigctlClientError(_sentence(error, self.path)) from None
        except ValueError:   # text that is not UTF-8
            return job_control_from_row(("bad", None, None, None))

    def gauges(self) -> Tuple[Dict[str, Gauge], float]:
        """Every gauge whose row reads as the contract says (another reads as never reported, as
        the Swift client skips it), and now by this host's clock, which stamps them."""
        try:
            rows = self.db.execute(
                "SELECT CAST(name AS BLOB), CASE WHEN typeof(value) IN ('integer', 'real') THEN value END, "
                "CAST(updated_at AS BLOB) FROM gauges").fetchall()
        except sqlite3.Error as error:
            raise MigctlClientError(_sentence(error, self.path)) from None
        now = time.time()
        gauges = {}
        for name, value, updated_at in rows:
            try:
                name, stamp = name.decode("utf-8"), updated_at.decode("utf-8")
            except (AttributeError, UnicodeDecodeError):   # NULL, or text that is not UTF-8
                continue
            gauge = gauge_from_row(value, instant_seconds(stamp))
            if gauge is not None:
                gauges[name] = gauge
        return gauges, now

    def _has_table(self, name: str) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None

    def job_progress(self, job: str) -> Optional[JobProgress]:
        """Where ``job`` got to, as stored; None without a usable row or without job tables (contract 4)."""
        try:
            if not self._has_table("job_progress"):
                return None
            row = self.db.execute(
                "SELECT cursor, done, total, started_at, finished_at, instance, since_phase, phase_entered_at, mismatches "
                "FROM job_progress WHERE job = ?", (job,)).fetchone()
        except sqlite3.Error as error:
            raise MigctlClientError(_sentence(error, self.path)) from None
        except ValueError:   # text that is not UTF-8: no usable record
            return None
        return job_progress_from_row(row)

    def phase_since(self) -> Tuple[str, str]:
        """The state's phase and when it was entered (``phase_since``)."""
        try:
            row = self.db.execute("SELECT phase, phase_since FROM state WHERE id = 1").fetchone()
        except (sqlite3.Error, ValueError) as error:
            raise MigctlClientError(_sentence(error, self.path)) from None
        if row is None:
            raise MigctlClientError(f"the control database at {safe(self.path)} has no state row")
        return row

    def save_job_progress(self, job: str, progress: JobProgress, mismatches: Sequence[Mismatch] = ()) -> bool:
        """Writes ``mismatches`` (the verifier's, of run ``progress.started_at``) and ``job``'s
        progress row in one ``BEGIN IMMEDIATE`` transaction: both land or neither does. Returns
        False, writing nothing, on a store without job tables (contract 4)."""
        db = self.db
        now = instant(time.time())
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                if not self._has_table("job_progress"):
                    return False
                db.executemany("INSERT INTO verify_mismatches (run_started_at, key, old_digest, new_digest, found_at) "
                               "VALUES (?, ?, ?, ?, ?)", [(progress.started_at, *found) for found in mismatches])
                p = progress
                db.execute(
                    "INSERT INTO job_progress (job, cursor, done, total, started_at, updated_at, finished_at, since_phase, "
                    "phase_entered_at, mismatches, instance, throttled) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (job) DO UPDATE SET cursor = excluded.cursor, done = excluded.done, total = excluded.total, "
                    "started_at = excluded.started_at, updated_at = excluded.updated_at, finished_at = excluded.finished_at, "
                    "since_phase = excluded.since_phase, phase_entered_at = excluded.phase_entered_at, "
                    "mismatches = excluded.mismatches, instance = excluded.instance, throttled = excluded.throttled",
                    (job, p.cursor, p.done, p.total, p.started_at, now, p.finished_at, p.since_phase, p.phase_entered_at,
                     p.mismatches, p.instance, p.throttled))
                db.execute("COMMIT")
                return True
            finally:
                if db.in_transaction:
                    db.execute("ROLLBACK")
        except sqlite3.IntegrityError as error:   # a trigger's RAISE(ABORT)
            raise Refused(f"the control database at {safe(self.path)} refused the {job} job's progress: "
                          f"{safe(str(error))}") from None
        except sqlite3.Error as error:
            raise MigctlClientError(_sentence(error, self.path)) from None

    def leave(self, instance_id: str) -> None:
        """Deletes this process's fleet row (a clean shutdown)."""
        try:
            self.db.execute("DELETE FROM instances WHERE id = ?", (instance_id,))
        except sqlite3.Error as error:
            raise MigctlClientError(_sentence(error, self.path)) from None

