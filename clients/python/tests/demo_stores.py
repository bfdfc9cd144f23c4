"""The Swift demo's data stores and workload (Sources/DemoService/DemoStores.swift and
Workload.swift), in Python, for the invariant test: two real SQLite stores shaped like the
demo's, implementing the ``OldStore`` and ``NewStore`` protocols of ``migctl_client.migrator``,
and threads of traffic through a ``Migrator`` keeping a reference model of what was acknowledged.

``run_workload_process`` runs one more workload in a process of its own (multiprocessing,
spawned), with a client of its own, so two clients share the stores and the control store.
"""
from __future__ import annotations

import json
import random
import sqlite3
import threading
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from migctl_client import Client, Migrator, Stored


class User(NamedTuple):
    """The demo's record, shaped differently in each store."""
    name: str
    email: str
    version: int


def key(index: int) -> str:
    """The key of user ``index`` (seeded or inserted), as ``DemoStores.key`` spells it."""
    return f"user-{index:07d}"


def seeded_user(index: int) -> User:
    return User(f"User {index}", f"user{index}@example{index % 7}.com", 1)


def domain(email: str) -> str:
    """The new schema's required field, filled on copy."""
    return email.rsplit("@", 1)[-1]


class _SQLiteFile:
    """One SQLite file in WAL mode, a connection per thread (closed together by :meth:`close`)."""

    def __init__(self, path: Path):
        self.path = str(path)
        self._local = threading.local()
        self._connections: List[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def transaction(self, body):
        """Runs ``body(conn)`` in one ``BEGIN IMMEDIATE`` transaction and returns what it returns."""
        conn = self.db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = body(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()


class OldUsers(_SQLiteFile):
    """``old.db``: ``users_old(id, name, email, version)``, the store the service had. Counts the
    records its ``scan`` handed out (``scanned``), so a test can tell a backfill walked each once."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.scanned = 0
        self.db().execute("CREATE TABLE IF NOT EXISTS users_old "
                          "(id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, version INTEGER NOT NULL)")

    def seed(self, count: int) -> None:
        """Fills the store with users 0..count-1, in one transaction."""
        rows = [(key(i),) + tuple(seeded_user(i)) for i in range(count)]
        self.transaction(lambda conn: conn.executemany(
            "INSERT INTO users_old (id, name, email, version) VALUES (?, ?, ?, ?)", rows))

    def get(self, key: str) -> Optional[User]:
        row = self.db().execute("SELECT name, email, version FROM users_old WHERE id = ?", (key,)).fetchone()
        return None if row is None else User(*row)

    def put(self, key: str, value: User) -> None:
        self.db().execute("INSERT OR REPLACE INTO users_old (id, name, email, version) VALUES (?, ?, ?, ?)",
                          (key, value.name, value.email, value.version))

    def delete(self, key: str) -> None:
        self.db().execute("DELETE FROM users_old WHERE id = ?", (key,))

    def scan(self, after: Optional[str], limit: int) -> List[Tuple[str, User]]:
        rows = self.db().execute("SELECT id, name, email, version FROM users_old WHERE id > ? ORDER BY id LIMIT ?",
                                 (after or "", limit)).fetchall()
        self.scanned += len(rows)
        return [(row[0], User(*row[1:])) for row in rows]

    def count(self) -> int:
        return self.db().execute("SELECT count(*) FROM users_old").fetchone()[0]

    def keys(self) -> List[str]:
        return [row[0] for row in self.db().execute("SELECT id FROM users_old")]


class NewUsers(_SQLiteFile):
    """``new.db``: ``users(id, full_name, email, email_domain, version, tombstone, origin)``, a
    renamed column, a required field filled on copy, tombstones, and ``origin``: why the row came
    (``write``, ``miss``, ``backfill``), set when it is inserted and kept when it is overwritten.
    Removed rows (a delete, a purge of tombstones) are counted by origin in ``purged``, as the
    Swift demo does, so copies can still be reconciled with the counters."""

    def __init__(self, path: Path):
        super().__init__(path)
        conn = self.db()
        conn.execute("CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, full_name TEXT, email TEXT, "
                     "email_domain TEXT, version INTEGER, tombstone INTEGER NOT NULL DEFAULT 0, origin TEXT NOT NULL)")
        conn.execute("CREATE TABLE IF NOT EXISTS purged (origin TEXT PRIMARY KEY, count INTEGER NOT NULL)")

    def get(self, key: str) -> Optional[Stored]:
        row = self.db().execute("SELECT full_name, email, version, tombstone FROM users WHERE id = ?",
                                (key,)).fetchone()
        if row is None:
            return None
        return Stored.TOMBSTONE if row[3] else Stored(User(row[0], row[1], row[2]))

    def put(self, key: str, stored: Stored, origin: str) -> None:
        if stored.is_tombstone:
            self.db().execute(
                "INSERT INTO users (id, tombstone, origin) VALUES (?, 1, ?) ON CONFLICT (id) DO UPDATE SET "
                "full_name = NULL, email = NULL, email_domain = NULL, version = NULL, tombstone = 1", (key, origin))
        else:
            user = stored.value
            self.db().execute(
                "INSERT INTO users (id, full_name, email, email_domain, version, tombstone, origin) "
                "VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name, "
                "email = excluded.email, email_domain = excluded.email_domain, version = excluded.version, tombstone = 0",
                (key, user.name, user.email, domain(user.email), user.version, origin))

    def put_if_absent(self, key: str, value: User, origin: str) -> bool:
        """One statement: inserts only when no row (value or tombstone) is under ``key``."""
        cursor = self.db().execute(
            "INSERT INTO users (id, full_name, email, email_domain, version, tombstone, origin) "
            "VALUES (?, ?, ?, ?, ?, 0, ?) ON CONFLICT (id) DO NOTHING",
            (key, value.name, value.email, domain(value.email), value.version, origin))
        return cursor.rowcount == 1

    def delete(self, key: str) -> None:
        self.transaction(lambda conn: self._record_removal(
            conn, conn.execute("DELETE FROM users WHERE id = ? RETURNING origin", (key,)).fetchall()))

    def purge_tombstones(self) -> int:
        return self.transaction(lambda conn: self._record_removal(
            conn, conn.execute("DELETE FROM users WHERE tombstone = 1 RETURNING origin").fetchall()))

    @staticmethod
    def _record_removal(conn: sqlite3.Connection, removed) -> int:
        for (origin,) in removed:
            conn.execute("INSERT INTO purged (origin, count) VALUES (?, 1) "
                         "ON CONFLICT (origin) DO UPDATE SET count = count + 1", (origin,))
        return len(removed)

    def rows_by_origin(self) -> Dict[str, int]:
        """Rows of the store (tombstones included) plus removed ones, by how they got there."""
        counts: Dict[str, int] = {}
        for origin, n in self.db().execute("SELECT origin, count(*) FROM users GROUP BY origin"):
            counts[origin] = n
        for origin, n in self.db().execute("SELECT origin, count FROM purged"):
            counts[origin] = counts.get(origin, 0) + n
        return counts

    def keys(self) -> List[str]:
        return [row[0] for row in self.db().execute("SELECT id FROM users")]

    def tombstones(self) -> int:
        return self.db().execute("SELECT count(*) FROM users WHERE tombstone = 1").fetchone()[0]


def value_of(key: str, route, old: OldUsers, new: NewUsers) -> Optional[User]:
    """What ``key`` reads as under ``route``, without copying anything (``DemoStores.value``): the
    old store while it is primary; otherwise the new store, where a tombstone means deleted,
    falling back to the old store only if the route still reads it."""
    if route.primary != "new":
        return old.get(key)
    stored = new.get(key)
    if stored is not None:
        return stored.value
    return None if route.reads == "new" else old.get(key)


class Workload:
    """``Workload.swift`` in Python: threads reading, updating, inserting and deleting users
    through a ``Migrator`` over a skewed key distribution (a few hot keys take many requests).

    Worker ``w`` (numbered across every process) owns the seeded keys whose index modulo
    ``total_workers`` is ``w`` and the keys it inserts, so each key's operations happen in one
    order and the reference model is exact. The model (key -> last acknowledged value, None:
    deleted) is written under a lock, only after the Migrator's call returned. Writes carry
    increasing versions, also across a delete and a revival.
    """

    def __init__(self, migrator: Migrator, workers: Sequence[int], total_workers: int, seed_count: int,
                 pace: float = 0.003, rng_seed: int = 15):
        self.migrator = migrator
        self.workers, self.total_workers, self.seed_count = list(workers), total_workers, seed_count
        self.pace, self.rng_seed = pace, rng_seed
        self.lock = threading.Lock()
        self.model: Dict[str, Optional[User]] = {}   # keys whose value changed since the seed
        self.acknowledged = 0                       # writes and deletes that returned
        self.reads = 0
        self.inconsistent_reads: List[str] = []
        self.errors: List[str] = []
        self.secondary_failures: List[str] = []
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []

    @property
    def operations(self) -> int:
        return self.acknowledged + self.reads

    def start(self) -> None:
        for worker in self.workers:
            thread = threading.Thread(target=self._run, args=(worker,), name=f"workload-{worker}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Stops the workers and waits for their last request to finish."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                self.errors.append(f"{thread.name} did not stop within {timeout} s")

    def expected(self, k: str) -> Optional[User]:
        """The last acknowledged value of ``k`` (its seeded value when never changed)."""
        with self.lock:
            if k in self.model:
                return self.model[k]
        index = int(k.rsplit("-", 1)[1])
        return seeded_user(index) if index < self.seed_count else None

    def _run(self, worker: int) -> None:
        rng = random.Random(self.rng_seed * 1000 + worker)
        owned = [key(i) for i in range(worker, self.seed_count, self.total_workers)]
        hot = owned[:12]
        versions: Dict[str, int] = {}
        inserted = 0
        migrator = self.migrator
        while not self._stop.wait(self.pace):
            k = rng.choice(hot) if rng.random() < 0.3 else rng.choice(owned)
            roll = rng.randrange(100)
            try:
                if roll < 55:
                    value = migrator.read(k)
                    expected = self.expected(k)
                    with self.lock:
                        self.reads += 1
                        if value != expected:
                            self.inconsistent_reads.append(
                                f"{k} read {value} as {migrator.client.route(k).phase}, expected {expected}")
                    continue
                if roll < 85:
                    current = self.expected(k)
                else:
                    if roll < 90:
                        k = key(self.seed_count + inserted * self.total_workers + worker)
                        inserted += 1
                        owned.append(k)
                        current = None
                    else:
                        migrator.delete(k)
                        with self.lock:
                            self.model[k] = None
                            self.acknowledged += 1
                        continue
                version = versions.get(k, 1) + 1
                versions[k] = version
                user = User(current.name, current.email, version) if current is not None \
                    else User(f"Revived {k}", f"{k}@example.net", version)
                migrator.write(k, user)
                with self.lock:
                    self.model[k] = user
                    self.acknowledged += 1
            except Exception as error:   # the primary refused: not acknowledged, and a test failure
                with self.lock:
                    self.errors.append(f"worker {worker} on {k}: {error!r}")

    def result(self) -> dict:
        """What the test needs of this workload, as JSON-able data."""
        with self.lock:
            return {"model": {k: (None if v is None else list(v)) for k, v in self.model.items()},
                    "acknowledged": self.acknowledged, "reads": self.reads,
                    "inconsistent_reads": list(self.inconsistent_reads), "errors": list(self.errors),
                    "secondary_failures": list(self.secondary_failures)}


def open_workload(control: str, folder: Path, workers: Sequence[int], total_workers: int, seed_count: int,
                  refresh_interval: float):
    """A client on ``control``, the two stores in ``folder``, a Migrator and a Workload on them."""
    old, new = OldUsers(folder / "old.db"), NewUsers(folder / "new.db")
    client = Client(control, refresh_interval=refresh_interval)
    failures: List[str] = []
    migrator = Migrator(client, old, new, on_secondary_failure=lambda failed: failures.append(repr(failed)))
    workload = Workload(migrator, workers, total_workers, seed_count)
    workload.secondary_failures = failures
    return client, old, new, migrator, workload


def run_workload_process(control: str, folder: str, workers: Sequence[int], total_workers: int, seed_count: int,
                         refresh_interval: float, stop, version, operations, result_path: str) -> None:
    """The second process: runs a workload with a client of its own until ``stop`` is set,
    publishing the state version its client routes by (``version``) and its operation count
    (``operations``), then shuts the client down (flushing every count) and writes the
    workload's :meth:`Workload.result` as JSON to ``result_path``."""
    client, old, new, _, workload = open_workload(control, Path(folder), workers, total_workers, seed_count,
                                                  refresh_interval)
    try:
        workload.start()
        while True:
            version.value = client.current.version
            operations.value = workload.operations
            if stop.wait(0.01):
                break
    finally:
        workload.stop()
        client.shutdown()
        old.close()
        new.close()
        Path(result_path).write_text(json.dumps(workload.result()))
