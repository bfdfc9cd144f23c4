"""Fixtures: the real ``migctl`` binary, control stores it creates, and PostgreSQL logins.

``MIGCTL_BIN`` names the binary (default: the repository's ``.build/debug/migctl``, which
``swift build`` makes); ``MIGCTL_TEST_POSTGRES`` a superuser URL of a throwaway server
(``scripts/with-postgres`` starts one). The PostgreSQL tests are skipped without it, which
``scripts/test`` never is.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
VECTORS = REPO / "Tests" / "MigrationCoreTests" / "Fixtures" / "bucketing.json"
UNGATED_PLAN = (REPO / "Tests" / "TestSupport" / "ungated-plan.yaml").read_text()   # shared with the Swift tests
PHASES = ["old-only", "dual-write", "read-new", "new-primary", "new-only", "backfill", "cleanup", "complete"]


def migctl_binary() -> str:
    path = os.environ.get("MIGCTL_BIN") or str(REPO / ".build" / "debug" / "migctl")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no migctl binary at {path}: run 'swift build' first, or set MIGCTL_BIN")
    return path


class Migctl:
    """Runs the real ``migctl`` against one control store (``--db`` set for each call)."""

    def __init__(self, db: str, cwd: Path):
        self.db, self.cwd, self.binary = db, cwd, migctl_binary()

    def run(self, *args: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        result = subprocess.run([self.binary, *args, "--db", self.db], cwd=self.cwd, capture_output=True,
                                text=True, timeout=120, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"migctl {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    def json(self, *args: str):
        return json.loads(self.run(*args, "--json").stdout)

    def status(self) -> dict:
        return self.json("status")

    def advance(self, rollout: float = 100) -> str:
        """Advances one phase (confirming an irreversible one), entering a ramped one at ``rollout``."""
        target = self.status()["next"]
        self.run("advance", "--to", target, "--confirm", target, "--rollout", f"{rollout:g}", "--reason", "test")
        return target

    def rollout(self, percent: float) -> None:
        self.run("rollout", f"{percent:g}", "--reason", "test")


@pytest.fixture
def plan_text() -> str:
    """The plan the stores are made with (a test may parametrize ``plan_text`` with another)."""
    return UNGATED_PLAN


@pytest.fixture
def sqlite_store(tmp_path, plan_text) -> Migctl:
    """A SQLite control database of migration ``users-v2`` with the ungated plan, at old-only."""
    (tmp_path / "plan.yaml").write_text(plan_text)
    migctl = Migctl(str(tmp_path / "migctl.db"), tmp_path)
    migctl.run("init", "--name", "users-v2", "--plan", "plan.yaml")
    return migctl


class Postgres:
    """The throwaway server: a schema per test, logins with the roles the README names."""

    def __init__(self, url: str):
        self.url = url

    def sql(self, statement: str, *params):
        import psycopg
        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else None

    def with_login(self, login: str, schema: str) -> str:
        """The test URL for ``login`` instead of the superuser, with ``schema``."""
        import urllib.parse
        parts = urllib.parse.urlsplit(self.url)
        host = parts.netloc.split("@", 1)[-1]
        query = parts.query + ("&" if parts.query else "") + f"schema={schema}"
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{login}@{host}", query=query))


@pytest.fixture
def postgres() -> Postgres:
    url = os.environ.get("MIGCTL_TEST_POSTGRES")
    if not url:
        pytest.skip("MIGCTL_TEST_POSTGRES is not set: run the tests through scripts/test, which starts a throwaway PostgreSQL")
    pytest.importorskip("psycopg")
    return Postgres(url)


@pytest.fixture
def postgres_store(postgres, tmp_path, plan_text):
    """A PostgreSQL control store (a fresh schema) with the ungated plan: the operator's
    ``Migctl`` (the superuser, who ran init) and the URL of an application login (``<schema>_app``)."""
    schema = "t_" + secrets.token_hex(4)
    (tmp_path / "plan.yaml").write_text(plan_text)
    migctl = Migctl(postgres.with_login("postgres", schema), tmp_path)
    migctl.run("init", "--name", "users-v2", "--plan", "plan.yaml")
    app = f"{schema}_svc"
    postgres.sql(f"CREATE ROLE {app} LOGIN; GRANT {schema}_app TO {app}")
    yield migctl, postgres.with_login(app, schema)
    postgres.sql(f"DROP SCHEMA {schema} CASCADE")
    for role in (app, f"{schema}_app", f"{schema}_operator", f"{schema}_approver"):
        postgres.sql(f"DROP ROLE IF EXISTS {role}")


class Control:
    """A control store as a test sees it: the operator's ``Migctl``, what the application opens
    (a path or an application login's URL), and SQL on its tables as the superuser. In
    statements, ``{s}`` stands for the tables' schema (nothing on SQLite) and ``?`` for a parameter."""

    def __init__(self, migctl: Migctl, location: str, postgres: "Postgres" = None):
        self.migctl, self.location, self.postgres = migctl, location, postgres
        self.schema = location.rsplit("schema=", 1)[1] if postgres else None

    @property
    def kind(self) -> str:
        return "postgres" if self.postgres else "sqlite"

    def sql(self, statement: str, *params):
        if self.postgres:
            return self.postgres.sql(statement.replace("{s}", self.schema + ".").replace("?", "%s"), *params)
        import sqlite3
        conn = sqlite3.connect(self.migctl.db, isolation_level=None)
        try:
            return conn.execute(statement.replace("{s}", ""), params).fetchall()
        finally:
            conn.close()

    def instant(self, column: str) -> str:
        """``column`` in the contract's text form (PostgreSQL keeps a timestamptz)."""
        if self.postgres:
            return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""
        return column

    def progress(self, job: str):
        """The ``job_progress`` row of ``job`` as a dict (instants as text), or None."""
        columns = ["cursor", "done", "total", "started_at", "updated_at", "finished_at", "since_phase",
                   "phase_entered_at", "mismatches", "instance", "throttled"]
        instants = {"started_at", "updated_at", "finished_at", "phase_entered_at"}
        rows = self.sql("SELECT " + ", ".join(self.instant(c) if c in instants else c for c in columns)
                        + " FROM {s}job_progress WHERE job = ?", job)
        return dict(zip(columns, rows[0])) if rows else None

    def mismatches(self):
        """Every ``verify_mismatches`` row, oldest first: (run_started_at, key, old_digest, new_digest, found_at)."""
        return self.sql(f"SELECT {self.instant('run_started_at')}, key, old_digest, new_digest, {self.instant('found_at')} "
                        "FROM {s}verify_mismatches ORDER BY id")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request) -> Control:
    """Each control store in turn, at old-only with the ungated plan."""
    if request.param == "sqlite":
        migctl = request.getfixturevalue("sqlite_store")
        return Control(migctl, migctl.db)
    migctl, url = request.getfixturevalue("postgres_store")
    return Control(migctl, url, request.getfixturevalue("postgres"))


JOB_CHILD = """
import sys
sys.path.insert(0, sys.argv[5])
import migctl_client
from demo_stores import NewUsers, OldUsers
folder = sys.argv[2]
client = migctl_client.Client(sys.argv[1], flush_interval=3600)
migrator = migctl_client.Migrator(client, OldUsers(folder + "/old.db"), NewUsers(folder + "/new.db"))
job = getattr(migctl_client, sys.argv[3])(migrator, batch_size=int(sys.argv[4]))
while job.step():
    print(job.done, flush=True)
print("finished", job.done, flush=True)
"""


def run_job_child(job: str, control: str, folder, batch: int, rng, kill: bool):
    """Runs a ``Backfill`` or ``Verifier`` (``job``) of batches of ``batch`` in a process of its
    own over the demo stores in ``folder``; with ``kill``, sends it SIGKILL after a random number
    of batches and a random moment more. Returns the lines it printed after each batch (the
    records walked), split."""
    import signal
    import sys
    child = subprocess.Popen([sys.executable, "-c", JOB_CHILD, control, str(folder), job, str(batch),
                              str(Path(__file__).parent)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    if kill:
        for _ in range(rng.randint(1, 10)):
            lines.append(child.stdout.readline())
        time.sleep(rng.random() * 0.005)
        child.send_signal(signal.SIGKILL)
    out, err = child.communicate(timeout=120)
    assert child.returncode in (0, -signal.SIGKILL), err
    return [line.split() for line in lines + out.splitlines() if line.strip()]


def wait_for(condition, timeout: float = 10.0, interval: float = 0.01, message: str = "condition"):
    """Waits until ``condition()`` is truthy and returns it; fails the test naming ``message``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{message} did not happen within {timeout} s")
        time.sleep(interval)
