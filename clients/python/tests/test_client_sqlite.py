"""The client on a SQLite control database, through its public API, against stores the real
``migctl`` made and changed: routing that follows the operator, exact counts with the
heartbeat, and everything a hostile row, a lost file or a backup can do, none of it raising
into the application."""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import Migctl, wait_for
from migctl_client import Client, MigctlClientError

INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")


def rows(db: str, sql: str, *params):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def replace_file(path: str, backup: str) -> None:
    """``rm db db-wal db-shm; cp backup db``: how an operator puts another file at the path."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    shutil.copy(backup, path)


def totals(db: str) -> dict:
    return dict(rows(db, "SELECT name, value FROM counter_totals"))


def hostile(db: str, *statements: str, tables=("migration", "phases", "state")) -> None:
    """What a person with the sqlite3 shell can do: drop the triggers defending ``tables``, then write."""
    triggers = rows(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s)"
                    % ",".join("?" * len(tables)), *tables)
    script = "".join(f"DROP TRIGGER IF EXISTS {name};" for (name,) in triggers)
    script = "PRAGMA ignore_check_constraints = ON;" + script + ";".join(statements) + ";"
    result = subprocess.run(["sqlite3", "-cmd", ".timeout 5000", db], input=script, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def client(sqlite_store):
    with Client(sqlite_store.db, refresh_interval=0.02, flush_interval=0.1) as client:
        yield client


def test_routes_follow_every_rollout_and_advance(sqlite_store, client):
    assert client.route("user-1") == ("old-only", 1, "old", "old", None, 1, False)
    sqlite_store.advance(rollout=0)
    wait_for(lambda: client.current.version == 2, message="the client sees the advance")
    route = client.route("user-1")   # bucket 1826: outside 0%
    assert (route.phase, route.reads, route.writes, route.version) == ("old-only", "old", ("old",), 2)
    sqlite_store.rollout(20)         # 1826 < 2000: inside
    wait_for(lambda: client.current.rollout == 2000, message="the client sees the rollout")
    route = client.route("user-1")
    assert (route.phase, route.position, route.writes, route.verifies_reads) == ("dual-write", 2, ("old", "new"), False)
    sqlite_store.rollout(100)
    for expected in ["read-new", "new-primary", "new-only", "backfill"]:
        assert sqlite_store.advance() == expected
        wait_for(lambda: client.route("user-1").phase == expected, message=f"routing by {expected}")
    route = client.route("user-1")
    assert route.reads == "new-fallback-old" and route.deletes_leave_tombstones and route.secondary is None
    assert client.phase("user-1").id == "backfill" and not client.phase("user-1").irreversible
    assert client.refresh_errors == 0


def test_counts_are_exact_and_written_with_the_heartbeat(sqlite_store):
    client = Client(sqlite_store.db, flush_interval=0.05)
    hit = client.counter("hit")

    def add():
        for _ in range(20_000):
            hit.add()
    threads = [threading.Thread(target=add) for _ in range(6)]
    for thread in threads:
        thread.start()
    client.count("miss", 7)
    client.gauge("backfill.remaining", 12.5)
    for thread in threads:
        thread.join()
    fleet = wait_for(lambda: rows(sqlite_store.db, "SELECT id, host, pid, serving_version, heartbeat_at, started_at, stale FROM instances"),
                     message="the heartbeat")
    (instance, host, pid, serving, heartbeat_at, started_at, stale), = fleet
    assert instance == client.instance_id and re.fullmatch(re.escape(host) + r"-\d+-[0-9A-F]{8}", instance)
    assert pid == os.getpid() and serving == 1 and stale == 0
    assert INSTANT.match(heartbeat_at) and INSTANT.match(started_at) and started_at <= heartbeat_at
    listed = sqlite_store.json("fleet", "list")
    assert any(i.get("id") == instance for i in (listed if isinstance(listed, list) else listed.get("instances", []))), listed
    hit.add(5)   # counted right before shutdown: still written
    client.shutdown()
    assert totals(sqlite_store.db) == {"hit": 120_005, "miss": 7}
    assert rows(sqlite_store.db, "SELECT value FROM gauges WHERE name = 'backfill.remaining'") == [(12.5,)]
    assert rows(sqlite_store.db, "SELECT count(*) FROM instances") == [(0,)], "a clean shutdown leaves the fleet"
    client.shutdown()   # idempotent
    assert client.route("user-1").phase == "old-only", "routing still answers from memory"


def test_what_an_application_gets_wrong_is_counted_not_raised(sqlite_store, caplog):
    with Client(sqlite_store.db, flush_interval=0.05) as client:
        for amount in (-1, 1.5, "3", None, True):
            client.counter("hit").add(amount)
        client.count("Not A Name")
        client.count("x" * 65)
        with pytest.raises(ValueError, match="not a gauge name"):
            client.gauge("Bad Gauge", 1)
        for value in (float("nan"), float("inf"), "12", None):
            with pytest.raises(ValueError, match="finite number"):
                client.gauge("backfill.remaining", value)
        client.counter("hit").add(2)
    assert totals(sqlite_store.db) == {"hit": 2, "client.count.refused": 5, "client.bad-name": 2}
    assert "counters only grow" in caplog.text


def test_a_store_that_does_not_exist_fails_fast_and_is_never_created(tmp_path):
    for path in (tmp_path / "absent.db", tmp_path / "no-folder" / "x.db"):
        with pytest.raises(MigctlClientError, match="no control database at .*migctl init"):
            Client(str(path))
        assert not path.exists()
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database")
    with pytest.raises(MigctlClientError, match="notes.txt"):
        Client(str(notes))
    assert notes.read_text() == "my notes, not a database"
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(MigctlClientError, match="is not a migctl control database"):
        Client(str(empty))


def test_an_unknown_schema_version_is_refused(sqlite_store):
    hostile(sqlite_store.db, "PRAGMA user_version = 42")
    with pytest.raises(MigctlClientError, match="schema version 42; this client reads versions 4 and 5"):
        Client(sqlite_store.db)


def test_a_state_it_cannot_route_by_at_start_is_one_sentence(sqlite_store):
    hostile(sqlite_store.db, "UPDATE state SET phase = 'nowhere'")
    with pytest.raises(MigctlClientError, match="state.phase holds nowhere, a phase the plan does not have"):
        Client(sqlite_store.db)


@pytest.mark.parametrize("statement, sentence", [
    ("UPDATE state SET phase = 'nowhere', version = version + 1", "a phase the plan does not have"),
    ("UPDATE state SET rollout = 'half', version = version + 1", "state.rollout holds half"),
    ("UPDATE state SET rollout = 20000, version = version + 1", "state.rollout holds 20000"),
    ("UPDATE state SET version = -5", "state.version holds -5"),
    ("UPDATE state SET phase = X'1b5b324a', version = version + 1", "state.phase holds"),
    ("DELETE FROM state", "the state table has no row 1"),
    ("UPDATE phases SET writes = 'old,old' WHERE position = 1; UPDATE state SET version = version + 1", "phases.writes holds old,old"),
    ("UPDATE phases SET reads = 'sideways' WHERE position = 2; UPDATE state SET version = version + 1", "phases.reads holds sideways"),
    ("UPDATE phases SET writes = 7 WHERE position = 2; UPDATE state SET version = version + 1", "phases.writes holds 7"),
    ("UPDATE phases SET irreversible = 'maybe' WHERE position = 2; UPDATE state SET version = version + 1", "phases.irreversible holds maybe"),
    ("UPDATE migration SET name = ''", "migration.name holds , which is not non-empty text"),
    ("UPDATE state SET phase = CAST('caf' || X'ff' AS TEXT), version = version + 1", "text that is not UTF-8"),
])
def test_a_hostile_row_keeps_the_last_state_and_is_reported_once(sqlite_store, caplog, statement, sentence):
    sqlite_store.advance(rollout=50)
    client = Client(sqlite_store.db, refresh_interval=0.02, flush_interval=0.05)
    assert client.current.version == 2
    before = client.route("user-1")
    hostile(sqlite_store.db, statement)
    wait_for(lambda: client.refresh_errors >= 1, message="the refresh error")
    time.sleep(0.3)   # a dozen more refreshes: the same row is not reported again
    assert client.refresh_errors == 1
    assert client.route("user-1") == before and client.current.version == 2
    assert sentence in caplog.text and "routing stays at version 2 ('dual-write')" in caplog.text
    assert "\x1b" not in caplog.text, "nothing from a row reaches a log raw"
    client.count("hit")
    client.shutdown(timeout=1)
    if "migration.name" in sentence:
        # Another name is another bucketing salt: nothing is written into that migration.
        assert totals(sqlite_store.db) == {} and "now holds migration ''" in caplog.text
    else:
        assert totals(sqlite_store.db) == {"client.refresh.error": 1, "hit": 1}


def test_a_plan_rewritten_without_a_state_change_is_not_read_again(sqlite_store):
    # The store's rules keep a plan from changing, so the client reads it again only with a new
    # state version (or another file): other processes' counts move the file every second.
    with Client(sqlite_store.db, refresh_interval=0.02) as client:
        hostile(sqlite_store.db, "UPDATE phases SET reads = 'sideways' WHERE position = 1")
        time.sleep(0.3)
        assert client.refresh_errors == 0 and client.route("user-1").reads == "old"
        hostile(sqlite_store.db, "UPDATE state SET version = version + 1")
        wait_for(lambda: client.refresh_errors == 1, message="the bad plan read with the next state")


def test_a_fixed_row_is_followed_again(sqlite_store):
    with Client(sqlite_store.db, refresh_interval=0.02) as client:
        hostile(sqlite_store.db, "UPDATE state SET phase = 'nowhere', version = 2")
        wait_for(lambda: client.refresh_errors == 1, message="the bad row noticed")
        hostile(sqlite_store.db, "UPDATE state SET phase = 'dual-write', rollout = 10000, version = 3")
        wait_for(lambda: client.current.version == 3, message="the fixed row followed")
        assert client.route("anything").phase == "dual-write"


def test_a_serving_lease_past_says_stale_in_the_heartbeat(tmp_path):
    (tmp_path / "plan.yaml").write_text(textwrap.dedent("""\
        phases:
          - {id: a, reads: old, writes: [old], ramp: false}
          - id: b
            reads: old
            writes: [old, new]
            gates:
              - {kind: fleet, heartbeat: 1s}
        """))
    store = Migctl(str(tmp_path / "migctl.db"), tmp_path)
    store.run("init", "--name", "leased", "--plan", "plan.yaml")
    with Client(store.db, refresh_interval=0.02, flush_interval=0.05) as client:
        assert client.current.serving_lease == 1
        wait_for(lambda: rows(store.db, "SELECT stale FROM instances") == [(0,)], message="a fresh heartbeat")
        hostile(store.db, "UPDATE state SET phase = 'nowhere', version = 2")   # unreadable from now on
        wait_for(lambda: rows(store.db, "SELECT stale FROM instances") == [(1,)], message="stale = 1 after the lease")
        assert client.is_stale
        hostile(store.db, "UPDATE state SET phase = 'a', version = 3")
        wait_for(lambda: rows(store.db, "SELECT stale FROM instances") == [(0,)], message="stale = 0 once refreshed")


def test_a_deleted_file_keeps_routing_and_counting_until_it_is_back(sqlite_store, caplog):
    sqlite_store.advance(rollout=100)
    backup = sqlite_store.db + ".bak"
    with Client(sqlite_store.db, refresh_interval=0.02, flush_interval=0.05) as client:
        wait_for(lambda: rows(sqlite_store.db, "SELECT count(*) FROM instances") == [(1,)], message="the heartbeat")
        subprocess.run(["sqlite3", sqlite_store.db, f".backup '{backup}'"], check=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(sqlite_store.db + suffix):
                os.remove(sqlite_store.db + suffix)
        client.count("hit", 3)
        wait_for(lambda: client.refresh_errors >= 2, message="refreshes failing")
        assert client.route("user-1").phase == "dual-write"
        assert not os.path.exists(sqlite_store.db), "the client never creates the file"
        assert "no control database at" in caplog.text
        shutil.copy(backup, sqlite_store.db)
        wait_for(lambda: totals(sqlite_store.db).get("hit") == 3, timeout=15, message="the kept counts written")
    assert totals(sqlite_store.db)["client.refresh.error"] >= 2 and totals(sqlite_store.db)["client.flush.error"] >= 1


def test_a_backup_restored_under_the_client_is_followed_back(sqlite_store, caplog):
    sqlite_store.advance(rollout=100)
    backup = sqlite_store.db + ".bak"
    subprocess.run(["sqlite3", sqlite_store.db, f".backup '{backup}'"], check=True)   # at version 2
    with Client(sqlite_store.db, refresh_interval=0.02, flush_interval=0.05) as client:
        sqlite_store.advance(rollout=100)
        wait_for(lambda: client.current.version == 3, message="version 3")
        replace_file(sqlite_store.db, backup)   # the operator restores yesterday's file
        wait_for(lambda: client.current.version == 2, message="the restored file followed")
        assert client.route("user-1").phase == "dual-write"
        assert "is not the one this client had open" in caplog.text
        client.count("hit")
    assert totals(sqlite_store.db).get("client.file.changed") == 1 and totals(sqlite_store.db).get("hit") == 1
    assert rows(sqlite_store.db, "SELECT count(*) FROM instances") == [(0,)]


def test_another_migrations_file_at_the_path_gets_nothing_written(sqlite_store, tmp_path, caplog):
    other = Migctl(str(tmp_path / "other.db"), tmp_path)
    other.run("init", "--name", "orders-v3", "--plan", "plan.yaml")
    mine = sqlite_store.db + ".mine"
    with Client(sqlite_store.db, refresh_interval=0.02, flush_interval=0.05) as client:
        wait_for(lambda: rows(sqlite_store.db, "SELECT count(*) FROM instances") == [(1,)], message="the heartbeat")
        subprocess.run(["sqlite3", sqlite_store.db, f".backup '{mine}'"], check=True)
        replace_file(sqlite_store.db, other.db)
        client.count("hit", 4)
        wait_for(lambda: "now holds migration 'orders-v3'" in caplog.text, message="the foreign file noticed")
        time.sleep(0.3)
        assert rows(sqlite_store.db, "SELECT count(*) FROM counters") == [(0,)]
        assert rows(sqlite_store.db, "SELECT count(*) FROM instances") == [(0,)], "no heartbeat into another migration"
        assert client.route("user-1").phase == "old-only"
        replace_file(sqlite_store.db, mine)
        wait_for(lambda: totals(sqlite_store.db).get("hit") == 4, message="counts written once it is back")


def test_a_locked_store_loses_and_doubles_nothing(sqlite_store):
    locker = subprocess.Popen(["sqlite3", sqlite_store.db], stdin=subprocess.PIPE, text=True)
    with Client(sqlite_store.db, flush_interval=0.05) as client:
        locker.stdin.write("BEGIN EXCLUSIVE;\nSELECT 1;\n")
        locker.stdin.flush()
        wait_for(lambda: _locked(sqlite_store.db), message="the lock taken")
        for _ in range(1000):
            client.count("hit")
        time.sleep(0.5)
        assert client.route("user-1").phase == "old-only", "routing never waits for the lock"
        locker.stdin.write("COMMIT;\n.quit\n")
        locker.stdin.flush()
        locker.wait(10)
    assert totals(sqlite_store.db).get("hit") == 1000


def _locked(db: str) -> bool:
    try:
        conn = sqlite3.connect(db, timeout=0)
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
        return False
    except sqlite3.OperationalError:
        return True


def test_a_count_the_store_refuses_is_dropped_alone(sqlite_store, caplog):
    hostile(sqlite_store.db, "CREATE TRIGGER poison BEFORE INSERT ON counters WHEN NEW.name = 'poison' "
                             "BEGIN SELECT RAISE(ABORT, 'poison is refused'); END")
    with Client(sqlite_store.db, flush_interval=0.05) as client:
        client.count("poison", 3)
        client.count("hit", 5)
        wait_for(lambda: totals(sqlite_store.db).get("hit") == 5, message="the others written")
        wait_for(lambda: rows(sqlite_store.db, "SELECT count(*) FROM instances") == [(1,)], message="the heartbeat")
    assert "refused 3 for counter 'poison', so it is dropped" in caplog.text
    assert "poison" not in totals(sqlite_store.db) and totals(sqlite_store.db).get("client.flush.dropped") == 1


def test_a_forked_child_is_an_instance_of_its_own(sqlite_store):
    if not hasattr(os, "fork"):
        pytest.skip("no fork here")
    client = Client(sqlite_store.db, flush_interval=0.05)
    client.count("hit", 50)
    client.flush()
    client.count("hit", 7)   # pending at the fork: the parent's, never the child's too
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            assert client.instance_id.split("-")[-2] == str(os.getpid())
            for _ in range(100):
                client.count("hit")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(rows(sqlite_store.db, "SELECT id FROM instances")) < 2:
                time.sleep(0.01)
            client.shutdown()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    client.shutdown()
    assert totals(sqlite_store.db) == {"hit": 157}
    assert rows(sqlite_store.db, "SELECT count(*) FROM instances") == [(0,)]


def test_a_process_that_never_calls_shutdown_still_flushes_at_exit(sqlite_store):
    program = f"""
import migctl_client
client = migctl_client.Client({sqlite_store.db!r}, flush_interval=3600)
client.count("hit", 11)
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert totals(sqlite_store.db) == {"hit": 11}
    assert rows(sqlite_store.db, "SELECT count(*) FROM instances") == [(0,)]


KILLED_COUNTER = """
import sys, migctl_client
client = migctl_client.Client(sys.argv[1], flush_interval=3600)
written = 0
while True:
    client.count("hit", 10)
    if client.flush():
        written += 10
        print(written, flush=True)
"""


def test_kill_9_mid_flush_loses_at_most_the_batch_in_flight_and_corrupts_nothing(sqlite_store):
    import random
    import signal
    rng = random.Random(9)
    confirmed = 0
    for round in range(8):
        child = subprocess.Popen([sys.executable, "-c", KILLED_COUNTER, sqlite_store.db], stdout=subprocess.PIPE, text=True)
        lines = []
        for _ in range(rng.randint(5, 200)):   # a random number of confirmed flushes, then kill -9
            lines.append(child.stdout.readline())
        time.sleep(rng.random() * 0.01)
        child.send_signal(signal.SIGKILL)
        child.wait()
        lines += child.stdout.read().splitlines()   # what it confirmed after the lines read so far
        last = max(int(line) for line in lines if line.strip())
        total = totals(sqlite_store.db).get("hit", 0)
        # Everything a flush confirmed is there; at most the one batch being written when the
        # process died is too (its commit may have landed before the reply was read).
        assert confirmed + last <= total <= confirmed + last + 10, (round, confirmed, last, total)
        confirmed = total
    assert rows(sqlite_store.db, "PRAGMA integrity_check") == [("ok",)]
    assert sqlite_store.run("log", "--verify").returncode == 0
    # Killed instances stay in the fleet, silent, until forgotten: the fleet gate cannot vouch for them.
    assert len(rows(sqlite_store.db, "SELECT id FROM instances")) == 8
