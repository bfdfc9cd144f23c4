"""``Migrator`` and ``Backfill``: each phase's reads, writes and deletes against two in-memory
stores, with the phases set by the real ``migctl`` and the counters read back from the store."""
from __future__ import annotations

import sqlite3
import threading

import pytest

from conftest import wait_for
from migctl_client import Backfill, Client, FailedWrite, Migrator, Stored


class OldDict:
    def __init__(self):
        self.rows, self.fail = {}, False

    def get(self, key):
        return self.rows.get(key)

    def put(self, key, value):
        if self.fail:
            raise OSError("old store down")
        self.rows[key] = value

    def delete(self, key):
        if self.fail:
            raise OSError("old store down")
        self.rows.pop(key, None)

    def scan(self, after, limit):
        keys = sorted(k for k in self.rows if after is None or k > after)[:limit]
        return [(k, self.rows[k]) for k in keys]

    def count(self):
        return len(self.rows)


class NewDict:
    def __init__(self):
        self.rows, self.origins, self.fail = {}, {}, False

    def get(self, key):
        return self.rows.get(key)

    def put(self, key, stored, origin):
        if self.fail:
            raise OSError("new store down")
        self.rows[key], self.origins[key] = stored, origin

    def put_if_absent(self, key, value, origin):
        if key in self.rows:
            return False
        self.rows[key], self.origins[key] = Stored(value), origin
        return True

    def delete(self, key):
        self.rows.pop(key, None)

    def purge_tombstones(self):
        dead = [k for k, v in self.rows.items() if v.is_tombstone]
        for k in dead:
            del self.rows[k]
        return len(dead)


@pytest.fixture
def world(sqlite_store):
    old, new, failed = OldDict(), NewDict(), []
    client = Client(sqlite_store.db, refresh_interval=0.02, flush_interval=0.05)
    migrator = Migrator(client, old, new, on_secondary_failure=failed.append)

    def phase(target: str) -> None:
        while sqlite_store.status()["phase"] != target:
            sqlite_store.advance(rollout=100)
        wait_for(lambda: client.current.phase == target, message=f"routing by {target}")

    def counters() -> dict:
        client.flush()
        with sqlite3.connect(sqlite_store.db) as conn:
            return dict(conn.execute("SELECT name, value FROM counter_totals"))

    yield old, new, failed, migrator, phase, counters
    client.shutdown()


def test_old_only_and_dual_write(world):
    old, new, failed, migrator, phase, counters = world
    migrator.write("k1", "v1")
    assert old.rows == {"k1": "v1"} and new.rows == {}
    assert migrator.read("k1") == "v1"
    phase("dual-write")
    migrator.write("k1", "v2")
    assert old.rows["k1"] == "v2" and new.rows["k1"] == Stored("v2") and new.origins["k1"] == "write"
    new.fail = True
    migrator.write("k2", "v3")   # the secondary fails: counted and handed over, the request succeeds
    new.fail = False
    assert old.rows["k2"] == "v3" and "k2" not in new.rows
    assert len(failed) == 1 and isinstance(failed[0], FailedWrite)
    assert (failed[0].key, failed[0].store, failed[0].value) == ("k2", "new", "v3")
    old.fail = True
    with pytest.raises(OSError):   # the primary's failure is the caller's, and the secondary is not tried
        migrator.write("k3", "v4")
    old.fail = False
    assert "k3" not in new.rows
    assert counters() == {"write": 4, "write.old": 3, "read.old": 1, "write.new.error": 1}


def test_read_new_copies_on_miss_and_verifies_against_the_old_store(world):
    old, new, failed, migrator, phase, counters = world
    old.rows.update({"a": 1, "b": 2, "c": 3})
    phase("read-new")
    assert migrator.read("a") == 1 and new.rows["a"] == Stored(1) and new.origins["a"] == "miss"
    assert migrator.read("a") == 1                     # now a hit, compared with the old store: a match
    new.rows["b"] = Stored(99)                         # the new store disagrees: the old one answers
    assert migrator.read("b") == 2
    assert migrator.read("zzz") is None                # in neither store
    assert counters() == {"miss": 1, "hit": 2, "verify.match": 1, "verify.mismatch": 1, "read.absent": 1}


def test_a_copy_on_miss_never_overwrites_a_write_that_landed_meanwhile(world):
    old, new, failed, migrator, phase, counters = world
    old.rows["race"] = "older"
    phase("read-new")
    real_get = new.get

    def get_then_a_write_lands(key):
        value = real_get(key)
        if value is None:
            new.rows[key], new.origins[key] = Stored("newer"), "write"
        return value
    new.get = get_then_a_write_lands
    assert migrator.read("race") == "older"
    assert new.rows["race"] == Stored("newer") and new.origins["race"] == "write"
    assert "miss" not in counters(), "nothing was copied, so no miss is counted"


def test_deletes_leave_tombstones_that_nothing_brings_back(world):
    old, new, failed, migrator, phase, counters = world
    old.rows.update({"a": 1, "b": 2})
    phase("new-primary")
    old.fail = True
    migrator.delete("a")                               # the old store (secondary now) misses the delete
    old.fail = False
    assert new.rows["a"].is_tombstone and old.rows["a"] == 1
    assert migrator.read("a") is None, "a fallback read does not resurrect it"
    phase("backfill")
    backfill = Backfill(migrator, batch_size=1)
    while backfill.step():
        pass
    assert new.rows["a"].is_tombstone, "nor does the backfill"
    assert new.rows["b"] == Stored(2) and new.origins["b"] == "backfill"
    phase("cleanup")
    assert new.purge_tombstones() == 1 and "a" not in new.rows
    assert migrator.read("a") is None and migrator.read("b") == 2
    assert counters()["write.old.error"] == 1


def test_backfill_pauses_resumes_and_restarts_from_its_cursor(world):
    old, new, failed, migrator, phase, counters = world
    old.rows.update({f"user-{i:04d}": i for i in range(1000)})
    phase("backfill")
    migrator.write("user-0500", -1)                    # newer than the old store's copy
    first = Backfill(migrator, batch_size=100)
    assert first.step() and first.cursor == "user-0099" and first.done == 100
    first.pause()
    assert not first.step() and first.cursor == "user-0099"
    first.resume()
    assert first.step() and first.cursor == "user-0199"
    # The process dies; a new one resumes from what was persisted.
    again = Backfill(migrator, batch_size=300, cursor=first.cursor, done=first.done)
    while again.step():
        pass
    assert again.is_finished and again.done == 1000 and not again.step()
    assert new.rows["user-0500"] == Stored(-1), "the backfill never overwrites a newer write"
    assert all(new.rows[k] == Stored(v) for k, v in old.rows.items() if k != "user-0500")
    result = counters()
    assert result["backfill"] == 999 and result["write"] == 1


def test_backfill_gauges_report_progress(world, sqlite_store):
    old, new, failed, migrator, phase, counters = world
    old.rows.update({f"k{i:03d}": i for i in range(250)})
    phase("backfill")
    backfill = Backfill(migrator, batch_size=100)
    backfill.step()
    counters()
    gauges = sqlite_store.status()["gauges"]
    assert (gauges["backfill.total"], gauges["backfill.done"], gauges["backfill.remaining"]) == (250, 100, 150)
    while backfill.step():
        pass
    counters()
    gauges = sqlite_store.status()["gauges"]
    assert (gauges["backfill.done"], gauges["backfill.remaining"]) == (250, 0)


def test_migrator_counts_stay_exact_under_threads(world):
    old, new, failed, migrator, phase, counters = world
    phase("dual-write")
    lock = threading.Lock()

    class Locked(OldDict):
        def put(self, key, value):
            with lock:
                super().put(key, value)
    migrator.old = Locked()

    def work(n):
        for i in range(2000):
            migrator.write(f"t{n}-{i}", i)
    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counters() == {"write": 8000, "write.old": 8000}


def test_a_delete_in_read_new_leaves_a_tombstone_so_a_racing_copy_cannot_bring_it_back(world):
    # Schema 5: tombstones wherever reads fall back (the store's phases.tombstones column).
    old, new, failed, migrator, phase, counters = world
    old.rows["k"] = "v"
    phase("read-new")
    real_get = new.get

    def miss_then_the_delete_lands(key):
        value = real_get(key)
        if value is None and key == "k" and "k" in old.rows:
            migrator.delete("k")   # another request deletes the key between the miss and the copy
        return value
    new.get = miss_then_the_delete_lands
    migrator.read("k")
    new.get = real_get
    assert "k" not in old.rows and new.rows["k"].is_tombstone, "the copy found the key taken"
    assert migrator.read("k") is None


def test_operators_steer_the_backfill_from_the_store(world, sqlite_store):
    # `migctl backfill pause|resume|batch|rate` write the job_control row the Backfill reads before each batch.
    import time
    old, new, failed, migrator, phase, counters = world
    old.rows.update({f"k{i:02d}": i for i in range(40)})
    phase("backfill")
    backfill = Backfill(migrator, batch_size=10)
    sqlite_store.run("backfill", "pause", "--reason", "replica lag")
    assert not backfill.step() and backfill.cursor is None and backfill.control.paused
    sqlite_store.run("backfill", "resume")
    sqlite_store.run("backfill", "batch", "5")
    assert backfill.step() and backfill.cursor == "k04", "the operator's batch size, not the application's 10"
    sqlite_store.run("backfill", "rate", "50")   # 5 rows a batch at 50 rows a second: a batch every 0.1 s
    started = time.monotonic()
    for _ in range(4):
        backfill.step()
    assert time.monotonic() - started >= 0.28 and backfill.cursor == "k24"
    sqlite_store.run("backfill", "rate", "0")
    while backfill.step():
        pass
    assert counters()["backfill"] == 40


class Scans(OldDict):
    """An old store that remembers where each scan started."""

    def __init__(self):
        super().__init__()
        self.afters = []

    def scan(self, after, limit):
        self.afters.append(after)
        return super().scan(after, limit)


def test_backfill_records_its_progress_and_a_new_one_resumes_from_it(store):
    import re
    instant = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")
    old, new = Scans(), NewDict()
    old.rows.update({f"k{i:03d}": i for i in range(250)})
    with Client(store.location, refresh_interval=0.02) as client:
        migrator = Migrator(client, old, new)
        while store.migctl.status()["phase"] != "backfill":
            store.migctl.advance()
        wait_for(lambda: client.current.phase == "backfill", message="routing by backfill")
        first = Backfill(migrator, batch_size=100)
        assert first.step()
        progress = store.progress("backfill")
        assert progress == {"cursor": "k099", "done": 100, "total": 250, "started_at": progress["started_at"],
                            "updated_at": progress["updated_at"], "finished_at": None, "since_phase": None,
                            "phase_entered_at": None, "mismatches": 0, "instance": client.instance_id, "throttled": None}
        assert instant.match(progress["started_at"]) and instant.match(progress["updated_at"])
        assert first.step() and store.progress("backfill")["cursor"] == "k199"
        del first   # a crash: the next backfill takes the cursor from the store at its first step
        again = Backfill(migrator, batch_size=100)
        assert again.cursor is None
        assert not again.step() and again.is_finished
        assert old.afters == [None, "k099", "k199"], "the new backfill went on after the stored cursor"
        progress = store.progress("backfill")
        assert (progress["cursor"], progress["done"], progress["total"]) == ("k249", 250, 250)
        assert instant.match(progress["finished_at"])
        assert all(new.rows[k] == Stored(v) for k, v in old.rows.items())
        given = Backfill(migrator, batch_size=100, cursor="k050", done=51)   # a cursor given: the store is not asked
        while given.step():
            pass
        assert old.afters[3:] == ["k050", "k150"] and given.done == 250


def test_kill_9_mid_batch_resumes_from_the_stored_cursor_skipping_and_overwriting_nothing(store, tmp_path):
    # The backfill runs in a child process killed at random points, then started again, while this
    # process writes and deletes keys (the backfill phase writes the new store alone).
    import random

    from conftest import run_job_child
    from demo_stores import NewUsers, OldUsers, User, key, seeded_user
    seeded = 3000
    old, new = OldUsers(tmp_path / "old.db"), NewUsers(tmp_path / "new.db")
    old.seed(seeded)
    client = Client(store.location, refresh_interval=0.02)
    migrator = Migrator(client, old, new)
    while store.migctl.status()["phase"] != "backfill":
        store.migctl.advance()
    wait_for(lambda: client.current.phase == "backfill", message="routing by backfill")
    written, stop = {}, threading.Event()

    def traffic():
        rng = random.Random(7)
        while not stop.wait(0.001):
            k = key(rng.randrange(seeded))
            if rng.random() < 0.2:
                migrator.delete(k)
                written[k] = None
            else:
                value = User("Newer", f"{k}@example.net", rng.randrange(2, 10**6))
                migrator.write(k, value)
                written[k] = value
    writer = threading.Thread(target=traffic)
    writer.start()
    rng = random.Random(16)
    last_done = 0
    try:
        for round in range(12):
            batch = rng.randint(5, 60)
            lines = run_job_child("Backfill", store.location, tmp_path, batch, rng, kill=round < 11)   # the last runs to the end
            progress = store.progress("backfill")
            if progress is None:
                continue
            if lines and lines[0][0] != "finished" and progress["finished_at"] is None:
                assert int(lines[0][0]) == last_done + batch, "a restarted backfill goes on after the stored cursor"
            assert progress["done"] >= last_done
            copied = set(new.keys())
            skipped = [k for k in old.keys() if k <= progress["cursor"] and k not in copied]
            assert not skipped, f"keys up to the stored cursor not in the new store: {skipped[:3]}"
            last_done = progress["done"]
            if progress["finished_at"] is not None:
                break
    finally:
        stop.set()
        writer.join()
    progress = store.progress("backfill")
    assert progress["finished_at"] is not None and progress["done"] == seeded
    assert written, "the writes raced the backfill"
    for k in old.keys():
        stored = new.get(k)
        if k in written:
            expected = Stored.TOMBSTONE if written[k] is None else Stored(written[k])
            assert stored == expected, f"{k}: the backfill copied over a newer write or delete"
        else:
            assert stored == Stored(seeded_user(int(k[5:]))), k
    if store.kind == "sqlite":
        assert store.sql("PRAGMA integrity_check") == [("ok",)]
    client.shutdown()
    old.close()
    new.close()
