"""Counters stay exact with Swift and Python processes flushing into one store at once: the
Swift ``MigrationClient`` (``migctl-bench fleet-client``) and Python clients (threads in this
process and a second process) count the same counter, and the store ends with every event."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import migctl_binary, wait_for
from migctl_client import Client

PYTHON_COUNTER = """
import sys, time, migctl_client
client = migctl_client.Client(sys.argv[1], flush_interval=0.05)
events = client.counter("fleet.events")
deadline = time.monotonic() + float(sys.argv[2])
counted = 0
while time.monotonic() < deadline:
    events.add(3)
    counted += 3
client.shutdown()
print(counted)
"""


def swift_client(db: str, folder: Path):
    bench = os.path.join(os.path.dirname(migctl_binary()), "migctl-bench")
    if not os.access(bench, os.X_OK):
        pytest.fail(f"no migctl-bench at {bench}: swift build makes it")
    report, stop = folder / "swift.jsonl", folder / "swift.stop"
    process = subprocess.Popen([bench, "fleet-client", "--db", db, "--report", str(report), "--stop", str(stop),
                                "--rate", "2000", "--counter", "fleet.events"], stderr=subprocess.PIPE, text=True)
    return process, report, stop


def run_mixed(db: str, folder: Path, totals) -> None:
    swift, report, stop = swift_client(db, folder)
    other = subprocess.Popen([sys.executable, "-c", PYTHON_COUNTER, db, "4"], stdout=subprocess.PIPE, text=True)
    counted = []
    with Client(db, flush_interval=0.05) as client:
        events = client.counter("fleet.events")

        def count(n: int) -> None:
            for _ in range(n):
                events.add()
            counted.append(n)
        threads = [threading.Thread(target=count, args=(50_000,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_for(lambda: report.exists() and report.read_text().count("\n") >= 20, timeout=30,
                 message="the Swift client counting for two seconds")
    stop.touch()
    assert swift.wait(60) == 0, swift.stderr.read()
    assert other.wait(60) == 0
    python_other = int(other.stdout.read())
    final = json.loads(report.read_text().splitlines()[-1])
    assert final["final"] and final["flushed"], final
    expected = sum(counted) + python_other + final["counted"]
    assert totals() == expected, f"python here {sum(counted)}, python there {python_other}, swift {final['counted']}"


def test_swift_and_python_flushing_into_one_sqlite_file(sqlite_store, tmp_path):
    import sqlite3

    def totals():
        with sqlite3.connect(sqlite_store.db) as conn:
            return conn.execute("SELECT value FROM counter_totals WHERE name = 'fleet.events'").fetchone()[0]
    run_mixed(sqlite_store.db, tmp_path, totals)


def test_swift_and_python_flushing_into_one_postgres_store(postgres, postgres_store, tmp_path):
    _, app_url = postgres_store
    schema = app_url.rsplit("schema=", 1)[1]
    # The Swift client connects as the same application login.
    run_mixed(app_url, tmp_path, lambda: postgres.sql(
        f"SELECT sum(value)::bigint FROM {schema}.counter_totals WHERE name = 'fleet.events'")[0][0])
