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
def sqlite_store(tmp_path) -> Migctl:
    """A SQLite control database of migration ``users-v2`` with the ungated plan, at old-only."""
    (tmp_path / "plan.yaml").write_text(UNGATED_PLAN)
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
def postgres_store(postgres, tmp_path):
    """A PostgreSQL control store (a fresh schema) with the ungated plan: the operator's
    ``Migctl`` (the superuser, who ran init) and the URL of an application login (``<schema>_app``)."""
    schema = "t_" + secrets.token_hex(4)
    (tmp_path / "plan.yaml").write_text(UNGATED_PLAN)
    migctl = Migctl(postgres.with_login("postgres", schema), tmp_path)
    migctl.run("init", "--name", "users-v2", "--plan", "plan.yaml")
    app = f"{schema}_svc"
    postgres.sql(f"CREATE ROLE {app} LOGIN; GRANT {schema}_app TO {app}")
    yield migctl, postgres.with_login(app, schema)
    postgres.sql(f"DROP SCHEMA {schema} CASCADE")
    for role in (app, f"{schema}_app", f"{schema}_operator", f"{schema}_approver"):
        postgres.sql(f"DROP ROLE IF EXISTS {role}")


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
