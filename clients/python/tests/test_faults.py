"""What a hostile probe of the client found, each kept fixed by a test: faults of the file, the
server, the process (fork, exit, garbage collection) and the application's own logging."""
from __future__ import annotations

import gc
import logging
import os
import shutil
import subprocess
import sys
import time

import pytest

from conftest import wait_for
from migctl_client import Client, MigctlClientError
from test_client_sqlite import hostile, rows, totals


def elsewhere(db: str, sql: str) -> str:
    """What the sqlite3 shell, another process, reads."""
    return subprocess.run(["sqlite3", db, sql], capture_output=True, text=True, check=True).stdout.strip()


def test_handles_taken_before_a_fork_count_in_the_child(sqlite_store):
    client = Client(sqlite_store.db, flush_interval=0.05)
    hits = client.counter("hit")
    pid = os.fork()
    if pid == 0:
        try:
            hits.add(100)
            client.shutdown()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    hits.add(1)
    client.shutdown()
    assert totals(sqlite_store.db) == {"hit": 101}


def test_a_wal_deleted_under_the_client_stops_its_writes_until_a_file_is_put_back_whole(sqlite_store, caplog):
    # A backup copied over the file in place (same inode) and its WAL deleted: SQLite cannot
    # follow that under open connections, so the client says so, writes nothing (no ghost WAL,
    # no stale checkpoint), and follows once a file is put back as the README says.
    backup = sqlite_store.db + ".bak"
    subprocess.run(["sqlite3", sqlite_store.db, f".backup '{backup}'"], check=True)   # at version 1
    with Client(sqlite_store.db, refresh_interval=0.02, flush_interval=0.05) as client:
        sqlite_store.advance(rollout=100)
        wait_for(lambda: client.current.version == 2, message="version 2")
        shutil.copyfile(backup, sqlite_store.db)   # same inode, yesterday's bytes
        for suffix in ("-wal", "-shm"):
            os.remove(sqlite_store.db + suffix)
        client.count("hit", 5)
        wait_for(lambda: "was deleted or replaced under this client's connections" in caplog.text, message="said")
        assert client.current.version == 2 and client.route("user-1").phase == "dual-write"
        # Checked from another process: this one's own connections to that inode share its blindness.
        assert elsewhere(sqlite_store.db, "SELECT count(*) FROM counters; PRAGMA integrity_check") == "0\nok"
        whole = backup + ".whole"
        shutil.copyfile(backup, whole)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(sqlite_store.db + suffix):
                os.remove(sqlite_store.db + suffix)
        os.replace(whole, sqlite_store.db)   # rm DB DB-wal DB-shm; cp BACKUP DB
        wait_for(lambda: client.current.version == 1, message="the file put back followed")
        wait_for(lambda: elsewhere(sqlite_store.db, "SELECT value FROM counter_totals WHERE name = 'hit'") == "5",
                 message="the kept counts written")
    assert elsewhere(sqlite_store.db, "PRAGMA integrity_check") == "ok"


def test_shutdown_returns_within_its_timeout_while_another_process_holds_the_lock(sqlite_store):
    locker = subprocess.Popen(["sqlite3", sqlite_store.db], stdin=subprocess.PIPE, text=True)
    try:
        client = Client(sqlite_store.db, flush_interval=0.05)
        client.count("hit")
        locker.stdin.write("BEGIN IMMEDIATE;\nSELECT 1;\n")
        locker.stdin.flush()
        time.sleep(0.2)
        started = time.monotonic()
        client.shutdown(timeout=1)
        assert time.monotonic() - started < 1.5
    finally:
        locker.stdin.write("ROLLBACK;\n.quit\n")
        locker.stdin.close()
        locker.wait(10)


SHUTDOWN_FROM_A_HANDLER = """
import logging, sys, migctl_client
class Stop(logging.Handler):
    def emit(self, record):
        client.shutdown(timeout=5)
client = migctl_client.Client(sys.argv[1], flush_interval=0.05)
client.logger.addHandler(Stop())
client.counter("hit").add(-1)   # the next flush logs it, on the flusher thread
import time
time.sleep(1)
client.count("hit", 2)
client.shutdown()
"""


def test_a_logging_handler_may_call_the_client_back_without_a_deadlock(sqlite_store):
    # It used to hang for good: the flush lock was not reentrant. (The counts of the flush the
    # handler interrupted may still be lost; the README says so.)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", SHUTDOWN_FROM_A_HANDLER, sqlite_store.db], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 15
    assert rows(sqlite_store.db, "PRAGMA integrity_check") == [("ok",)]


def test_a_logging_handler_that_raises_costs_lines_not_the_flusher(sqlite_store):
    class Raising(logging.Handler):
        def emit(self, record):
            raise RuntimeError("the log sink is down")
    logger = logging.getLogger("test.raising")
    logger.addHandler(Raising())
    logger.propagate = False
    with Client(sqlite_store.db, flush_interval=0.05, logger=logger) as client:
        client.counter("hit").add(-1)
        time.sleep(0.2)
        client.count("hit", 3)
        wait_for(lambda: totals(sqlite_store.db).get("hit") == 3, message="counts after the raising line")


def test_a_refused_heartbeat_holds_back_no_count(sqlite_store):
    hostile(sqlite_store.db, "CREATE TRIGGER no_heartbeat BEFORE INSERT ON instances BEGIN SELECT RAISE(ABORT, 'no'); END",
            tables=())
    with Client(sqlite_store.db, flush_interval=0.05) as client:
        client.count("hit", 7)
        wait_for(lambda: totals(sqlite_store.db).get("hit") == 7, message="counts while the heartbeat is refused")


def test_a_count_failing_alone_for_any_reason_holds_back_no_other(sqlite_store):
    hostile(sqlite_store.db, "CREATE TRIGGER poison BEFORE INSERT ON counters WHEN NEW.name = 'poison' "
                             "BEGIN SELECT json('x'); END", tables=())
    with Client(sqlite_store.db, flush_interval=0.05) as client:
        client.count("poison")
        client.count("hit", 4)
        wait_for(lambda: totals(sqlite_store.db).get("hit") == 4, message="the other counts")
        wait_for(lambda: rows(sqlite_store.db, "SELECT count(*) FROM instances") == [(1,)], message="the heartbeat")
        client.shutdown(timeout=1)


def test_phases_numbered_with_gaps_route_and_name_the_phase(sqlite_store):
    sqlite_store.advance(rollout=100)
    hostile(sqlite_store.db, "UPDATE phases SET position = position + 100 WHERE position > 1",
            "UPDATE state SET version = version + 1")
    with Client(sqlite_store.db) as client:
        assert client.phase("user-1").id == "dual-write" and client.route("user-1").position == 102


def test_gates_nested_deeper_than_the_parser_goes_are_no_window(sqlite_store):
    hostile(sqlite_store.db, "UPDATE phases SET gates = '" + "[" * 200_000 + "' WHERE position = 8")
    with Client(sqlite_store.db) as client:
        assert client.current.serving_lease == 60 and client.route("k").phase == "old-only"


def test_a_client_dropped_without_shutdown_still_flushes_and_leaves(sqlite_store):
    client = Client(sqlite_store.db, flush_interval=3600)
    client.count("hit", 11)
    del client
    gc.collect()   # (or later: a background thread may hold it for the rest of its turn)
    wait_for(lambda: totals(sqlite_store.db) == {"hit": 11}, message="the dropped client's counts")
    wait_for(lambda: rows(sqlite_store.db, "SELECT count(*) FROM instances") == [(0,)], message="its row gone")


def test_two_shutdowns_at_once_both_return_after_the_counts_are_written(sqlite_store):
    import threading
    client = Client(sqlite_store.db, flush_interval=3600)
    client.count("hit", 9)
    seen = []
    threads = [threading.Thread(target=lambda: (client.shutdown(), seen.append(totals(sqlite_store.db).get("hit"))))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [9, 9]
    assert client.flush() is False, "nothing is written, nor reopened, after shutdown"


def test_a_fifo_at_the_path_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(MigctlClientError, match="not a regular file"):
        Client(str(fifo))
    assert time.monotonic() - started < 2


def test_an_arabic_letter_mark_never_reaches_a_log_line(sqlite_store, caplog):
    with Client(sqlite_store.db, refresh_interval=0.02) as client:
        hostile(sqlite_store.db, "UPDATE state SET phase = 'x' || char(1564) || 'y', version = version + 1")
        wait_for(lambda: client.refresh_errors == 1, message="the row refused")
    assert "\u061c" not in caplog.text and "x?y" in caplog.text


def test_a_gauge_beyond_a_double_is_a_value_error(sqlite_store):
    with Client(sqlite_store.db) as client:
        with pytest.raises(ValueError, match="finite number"):
            client.gauge("backfill.total", 10**400)


def test_a_password_in_the_urls_parameters_is_never_printed(postgres):
    with pytest.raises(MigctlClientError) as raised:
        Client("postgresql://svc@127.0.0.1:1/ops?password=hunter2&schema=users_v2&connect_timeout=2")
    assert "hunter2" not in str(raised.value) and "password=***" in str(raised.value)


def test_a_held_lock_on_postgres_costs_shutdown_no_more_than_its_timeout(postgres, postgres_store):
    migctl, app_url = postgres_store
    schema = app_url.rsplit("schema=", 1)[1]
    import psycopg
    holder = psycopg.connect(postgres.url)
    try:
        client = Client(app_url, flush_interval=0.05)
        client.count("hit")
        holder.execute(f"LOCK TABLE {schema}.instances IN ACCESS EXCLUSIVE MODE")
        time.sleep(0.3)
        started = time.monotonic()
        client.shutdown(timeout=2)
        assert time.monotonic() - started < 3
    finally:
        holder.rollback()
        holder.close()


def test_a_postgres_socket_numbered_past_1024_still_waits_for_notifications(postgres, postgres_store):
    migctl, app_url = postgres_store
    spare = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with Client(app_url) as client:
            def commits():
                return postgres.sql("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")[0][0]
            before = commits()
            time.sleep(2)
            assert commits() - before < 40, "idle: a flush a second and a poll every 5 s, not a busy loop"
            migctl.advance(rollout=100)
            wait_for(lambda: client.current.version == 2, timeout=3, message="the notification heard")
    finally:
        for fd in spare:
            os.close(fd)
