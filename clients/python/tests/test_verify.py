"""The ``Verifier`` (issue 16; docs/plans/issue-16.md, *The verifier's contract*), on each control
store: every judging rule, the re-read of a mismatch, the digests, the mismatch rows and the
run's progress landing in one transaction, a run resumed after a crash (``kill -9`` at random
points) and a new one after a finished run, operators' pause, batch size and rate limit, and
keys the store cannot hold as they are."""
from __future__ import annotations

import hashlib
import random
import re
import time

import pytest

from conftest import UNGATED_PLAN, run_job_child, wait_for
from demo_stores import NewUsers, OldUsers, User, key, seeded_user
from migctl_client import Backfill, Client, MigctlClientError, Migrator, ScanOrderError, Stored, Verifier
from test_migrator import NewDict, OldDict

INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")


def sha(text: str) -> str:
    """The digest of a value whose canonical JSON is ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class World:
    """Two in-memory stores, a client on the control store and a Migrator over them."""

    def __init__(self, store):
        self.store = store
        self.old, self.new = OldDict(), NewDict()
        self.client = Client(store.location, refresh_interval=0.02, flush_interval=0.05)
        self.migrator = Migrator(self.client, self.old, self.new)

    def phase(self, target: str, rollout: float = 100) -> None:
        """Advances to ``target``, entered at ``rollout`` percent, and waits until the client routes by it."""
        migctl = self.store.migctl
        while migctl.status()["phase"] != target:
            following = migctl.status()["next"]
            migctl.advance(rollout=rollout if following == target else 100)
        wait_for(lambda: self.client.current.phase == target and self.client.current.rollout == int(rollout * 100),
                 message=f"routing by {target} at {rollout}%")

    def counters(self) -> dict:
        self.client.flush()
        return dict(self.store.sql("SELECT name, CAST(sum(value) AS BIGINT) FROM {s}counter_totals GROUP BY name"))

    def gauges(self) -> dict:
        self.client.flush()
        return {name: int(value) for name, value in self.store.sql("SELECT name, value FROM {s}gauges")}

    def verify(self, **options) -> Verifier:
        """A verifier run to its end."""
        verifier = Verifier(self.migrator, **options)
        while verifier.step():
            pass
        assert verifier.is_finished and not verifier.step()
        return verifier

    def found(self, verifier: Verifier):
        """The mismatch rows of ``verifier``'s run: (key, old digest, new digest)."""
        return [row[1:4] for row in self.store.mismatches() if row[0] == verifier.started_at]


@pytest.fixture
def world(store):
    world = World(store)
    yield world
    world.client.shutdown()


def test_while_the_old_store_is_written_only_an_equal_value_matches(world):
    # dual-write writes both stores: a tombstone or a different value means a write the new store missed.
    world.phase("dual-write")
    world.old.rows.update({"a": "v", "b": "v", "c": "v", "d": {"n": 1}, "e": "v"})
    world.new.rows.update({"a": Stored("v"), "c": Stored.TOMBSTONE, "d": Stored({"n": 2}), "e": Stored("w")})
    asked = []
    verifier = world.verify(supersedes=lambda old, new: asked.append((old, new)) or True)
    assert world.found(verifier) == [("b", sha('"v"'), "absent"), ("c", sha('"v"'), "tombstone"),
                                     ("d", sha('{"n":1}'), sha('{"n":2}')), ("e", sha('"v"'), sha('"w"'))]
    assert asked == [], "supersedes is not asked while the old store still takes writes"
    assert (verifier.done, verifier.mismatches, verifier.since_phase) == (5, 4, "dual-write")
    assert world.counters() == {"verify.full.match": 1, "verify.full.mismatch": 4}
    assert world.gauges() == {"verify.full.done": 5, "verify.full.remaining": 0, "verify.full.rate": 0}


def test_once_the_old_store_is_frozen_deletes_and_later_writes_match(world):
    world.phase("backfill")   # writes the new store only
    world.old.rows.update({"a": {"n": 1}, "b": {"n": 1}, "c": {"n": 1}, "d": {"n": 1}, "e": {"n": 5}})
    world.new.rows.update({"a": Stored({"n": 1}), "c": Stored.TOMBSTONE, "d": Stored({"n": 2}), "e": Stored({"n": 3})})
    later = world.verify(supersedes=lambda old, new: new["n"] > old["n"])
    assert world.found(later) == [("b", sha('{"n":1}'), "absent"), ("e", sha('{"n":5}'), sha('{"n":3}'))], \
        "a tombstone and a later write match; an absent key and an earlier value do not"
    plain = world.verify()   # no supersedes: any other value is a mismatch
    assert plain.started_at != later.started_at, "a finished run is followed by a new one"
    assert world.found(plain) == [("b", sha('{"n":1}'), "absent"), ("d", sha('{"n":1}'), sha('{"n":2}')),
                                  ("e", sha('{"n":5}'), sha('{"n":3}'))]
    assert world.counters() == {"verify.full.match": 5, "verify.full.mismatch": 5}


def test_each_key_is_judged_by_its_own_route(world):
    # new-only at 50%: keys inside take new-only (old no longer written), keys outside new-primary
    # (old still written), so the same tombstone matches inside and not outside.
    world.phase("new-only", rollout=50)
    keys = [f"user-{i:03d}" for i in range(200)]
    world.old.rows.update({k: "v" for k in keys})
    world.new.rows.update({k: Stored.TOMBSTONE for k in keys})
    outside = [k for k in keys if "old" in world.client.route(k).writes]
    assert 50 < len(outside) < 150 and {world.client.route(k).phase for k in outside} == {"new-primary"}
    verifier = world.verify(batch_size=37)
    assert world.found(verifier) == [(k, sha('"v"'), "tombstone") for k in outside]


def test_a_mismatch_is_judged_again_after_reading_both_stores_again(world):
    world.phase("dual-write")
    old, new = world.old, world.new
    old.rows.update({"raced": "v1", "gone": "v", "still": "v", "zz": "v"})
    new.rows.update({"raced": Stored("v2"), "still": Stored("w"), "zz": Stored("v")})
    reads = []
    old_get, new_get, scan = old.get, new.get, old.scan
    old.get = lambda k: reads.append(("old", k)) or old_get(k)
    new.get = lambda k: reads.append(("new", k)) or new_get(k)

    def scan_then_writes_race(after, limit):
        batch = scan(after, limit)
        old.rows["raced"] = "v2"      # a dual write landing after the walk read the old store
        old.rows.pop("gone", None)    # a delete landing meanwhile
        old.rows["still"] = "v3"
        return batch
    old.scan = scan_then_writes_race
    verifier = world.verify(batch_size=10)
    assert world.found(verifier) == [("still", sha('"v3"'), sha('"w"'))], "judged on what the re-read found"
    assert [r for r in reads if r[1] == "still"] == [("new", "still"), ("old", "still"), ("new", "still")], \
        "one re-read, the old store first"
    assert [r for r in reads if r[1] == "zz"] == [("new", "zz")], "a match is not read again"
    assert world.counters() == {"verify.full.match": 3, "verify.full.mismatch": 1}


def test_digests_are_sha256_of_the_canonical_bytes_or_the_applications(world):
    world.phase("dual-write")
    world.old.rows.update({"a": {"b": "é/", "a": [1, 2.5, None, True]}, "b": b"\x00\xff raw", "c": {1, 2}})
    with pytest.raises(TypeError, match="give the Verifier digest="):
        world.verify()   # a set has no JSON form, and no digest was given
    world.old.rows.pop("c")
    verifier = world.verify()
    assert world.found(verifier) == [("a", sha('{"a":[1,2.5,null,true],"b":"é/"}'), "absent"),
                                     ("b", hashlib.sha256(b"\x00\xff raw").hexdigest(), "absent")]
    world.new.rows["a"] = Stored({"x": 1})
    custom = world.verify(digest=lambda value: sha(repr(sorted(value))) if isinstance(value, dict) else "raw")
    assert world.found(custom) == [("a", sha(repr(["a", "b"])), sha(repr(["x"]))), ("b", "raw", "absent")]
    for wrong in (42, b"bytes", "", "f" * 65):   # the store keeps 1 to 64 characters
        with pytest.raises(TypeError, match="not a digest"):
            world.verify(digest=lambda value: wrong)
    assert len(world.store.mismatches()) == 4, "nothing recorded from a batch whose digest failed"


def test_the_mismatch_rows_and_the_progress_land_together_or_not_at_all(world, store):
    world.phase("dual-write")
    world.old.rows.update({f"k{i:02d}": i for i in range(30)})
    world.new.rows.update({f"k{i:02d}": Stored(i) for i in range(30) if i % 3})
    if store.kind == "sqlite":
        refuse = ("CREATE TRIGGER test_refuses_{op} BEFORE {op} ON job_progress BEGIN SELECT RAISE(ABORT, 'test refuses'); END",
                  "DROP TRIGGER test_refuses_{op}")
    else:
        store.sql("CREATE FUNCTION {s}test_refuses() RETURNS trigger LANGUAGE plpgsql AS $$ "
                  "BEGIN RAISE EXCEPTION 'test refuses'; END $$")
        refuse = ("CREATE TRIGGER test_refuses_{op} BEFORE {op} ON {s}job_progress FOR EACH ROW "
                  "EXECUTE FUNCTION {s}test_refuses()", "DROP TRIGGER test_refuses_{op} ON {s}job_progress")

    def fails_then_lands(verifier, op: str, walked: int, found: int) -> None:
        store.sql(refuse[0].replace("{op}", op))
        with pytest.raises(MigctlClientError, match="refused the verify job's progress"):
            verifier.step()
        assert len(store.mismatches()) == found, "the batch's mismatch rows went with its progress"
        assert verifier.done == walked and verifier.mismatches == found
        store.sql(refuse[1].replace("{op}", op))
        assert verifier.step()
        assert verifier.done == walked + 10
        progress = store.progress("verify")
        rows = store.mismatches()
        assert (progress["done"], progress["mismatches"]) == (walked + 10, len(rows))
        assert {row[0] for row in rows} == {progress["started_at"]} == {verifier.started_at}

    verifier = Verifier(world.migrator, batch_size=10)
    fails_then_lands(verifier, "INSERT", 0, 0)     # the run's first row
    assert store.progress("verify")["mismatches"] == 4
    fails_then_lands(verifier, "UPDATE", 10, 4)    # a later one
    while verifier.step():
        pass
    assert verifier.is_finished and verifier.done == 30
    assert [row[1] for row in store.mismatches()] == [f"k{i:02d}" for i in range(0, 30, 3)], "each once"
    assert world.counters() == {"verify.full.match": 20, "verify.full.mismatch": 10}, "failed batches are not counted"


def test_a_new_verifier_resumes_an_unfinished_run_and_starts_a_new_one_after_a_finished_run(world, store):
    world.phase("dual-write")
    world.old.rows.update({f"k{i:02d}": i for i in range(25)})
    world.new.rows.update({f"k{i:02d}": Stored(i) for i in range(25) if i not in (3, 21)})
    first = Verifier(world.migrator, batch_size=10)
    assert first.step()
    progress = store.progress("verify")
    ((phase, entered),) = store.sql(f"SELECT phase, {store.instant('phase_since')} FROM {{s}}state")
    assert progress == {"cursor": "k09", "done": 10, "total": 25, "started_at": first.started_at,
                        "updated_at": progress["updated_at"], "finished_at": None, "since_phase": "dual-write",
                        "phase_entered_at": entered, "mismatches": 1, "instance": world.client.instance_id,
                        "throttled": None}
    assert phase == "dual-write" and INSTANT.match(first.started_at) and INSTANT.match(progress["updated_at"])
    del first   # a crash: a verifier made again goes on with the stored run
    again = Verifier(world.migrator, batch_size=10)
    assert again.started_at is None, "the run is taken from the store at the first step"
    assert again.step() and (again.cursor, again.done, again.mismatches) == ("k19", 20, 1)
    assert again.started_at == progress["started_at"] and again.since_phase == "dual-write"
    assert not again.step() and again.is_finished
    finished = store.progress("verify")
    assert (finished["done"], finished["total"], finished["mismatches"]) == (25, 25, 2)
    assert INSTANT.match(finished["finished_at"]) and finished["started_at"] == progress["started_at"]
    assert [row[:2] for row in store.mismatches()] == [(progress["started_at"], "k03"), (progress["started_at"], "k21")]

    world.phase("read-new")
    ((entered,),) = store.sql(f"SELECT {store.instant('phase_since')} FROM {{s}}state")
    fresh = Verifier(world.migrator, batch_size=10)
    assert fresh.step() and (fresh.done, fresh.mismatches, fresh.since_phase) == (10, 1, "read-new")
    progress = store.progress("verify")
    assert progress["started_at"] == fresh.started_at > finished["started_at"]
    assert (progress["since_phase"], progress["phase_entered_at"], progress["finished_at"]) == ("read-new", entered, None)
    assert [row[:2] for row in store.mismatches()][2:] == [(fresh.started_at, "k03")]
    del fresh   # unfinished, but the migration moves on before a verifier is made again
    world.phase("new-primary")
    later = Verifier(world.migrator, batch_size=10)
    assert later.step() and later.done == 10 and later.since_phase == "new-primary"
    assert later.started_at > progress["started_at"], "a run of another phase is not resumed: a new one starts"


def test_a_finished_verifier_starts_a_new_run_when_an_operator_asks(world, store):
    world.phase("dual-write")
    world.old.rows.update({"a": 1, "b": 2})
    world.new.rows["a"] = Stored(1)
    verifier = world.verify()
    first = store.progress("verify")
    assert (verifier.mismatches, first["mismatches"]) == (1, 1)
    world.new.rows["b"] = Stored(2)   # mended
    assert not verifier.step() and verifier.started_at == first["started_at"], "a finished run stays finished"
    store.migctl.run("verify", "restart", "--reason", "b mended")
    assert not verifier.step(), "the new run is walked (two keys: one batch) and finished"
    again = store.progress("verify")
    assert again["started_at"] == verifier.started_at > first["started_at"]
    assert (again["done"], again["mismatches"], again["finished_at"] is not None) == (2, 0, True)
    assert not verifier.step() and store.progress("verify") == again, "asked once, run once"
    assert world.counters() == {"verify.full.match": 3, "verify.full.mismatch": 1}


def test_operators_pause_resize_and_rate_limit_the_verifier(world, store):
    world.phase("dual-write")
    world.old.rows.update({f"k{i:02d}": i for i in range(40)})
    world.new.rows.update({f"k{i:02d}": Stored(i) for i in range(40)})
    verifier = Verifier(world.migrator, batch_size=10)
    store.migctl.run("verify", "pause", "--reason", "the replicas lag")
    assert not verifier.step() and verifier.control.paused and verifier.done == 0
    assert store.progress("verify") is None, "a paused verifier starts no run"
    store.migctl.run("verify", "resume")
    store.migctl.run("verify", "batch", "5")
    store.migctl.run("backfill", "pause", "--reason", "the backfill's control is the backfill's alone")
    assert verifier.step() and verifier.cursor == "k04", "the operator's batch size, not the application's 10"
    store.migctl.run("verify", "rate", "50")   # 5 keys a batch at 50 keys a second: a batch every 0.1 s
    started = time.monotonic()
    for _ in range(4):
        assert verifier.step()
    assert time.monotonic() - started >= 0.28 and verifier.cursor == "k24"
    verifier.pause()
    assert not verifier.step() and verifier.cursor == "k24"
    verifier.resume()
    store.migctl.run("verify", "rate", "0")
    while verifier.step():
        pass
    assert verifier.done == 40 and world.counters() == {"verify.full.match": 40}
    audited = [event["action"] for event in store.migctl.json("log", "--limit", "6")]
    assert audited == ["verify", "verify", "backfill", "verify", "verify", "verify"], "each change is audited"


def test_keys_the_store_cannot_hold_as_they_are(world, store):
    world.phase("dual-write")
    long = "y" * 70_000   # longer than a stored cursor may be (65,536)
    keys = ["a\x00b", "b\u202e\x1b[2J", "c\nd", "x" * 2001, long, "zebra"]
    world.old.rows.update({k: 1 for k in keys})   # none in the new store
    first = Verifier(world.migrator, batch_size=5)
    assert first.step() and first.cursor == long
    progress = store.progress("verify")
    assert (progress["cursor"], progress["done"]) == ("x" * 2001, 4), \
        "the stored cursor is the last key it can hold, so a resumed run walks the rest again rather than skip it"
    kept_nul = "a\x00b" if store.kind == "sqlite" else "a\ufffdb"   # PostgreSQL's text holds no NUL
    cut = "y" * 1999 + "\u2026"   # a recorded key keeps 2,000 characters, as the Swift client's
    assert [row[1] for row in store.mismatches()] == [kept_nul, "b\u202e\x1b[2J", "c\nd", "x" * 1999 + "\u2026", cut]
    again = Verifier(world.migrator, batch_size=5)   # after a crash
    assert not again.step() and again.is_finished
    progress = store.progress("verify")
    assert (progress["cursor"], progress["done"], progress["total"]) == ("zebra", 6, 6)
    assert [row[1] for row in store.mismatches()][5:] == [cut, "zebra"], \
        "nothing skipped; the key after the stored cursor is found again"


class CarelessScan(OldDict):
    """An old store whose scan is written with ``>=`` for ``>``: it returns the cursor again."""

    def scan(self, after, limit):
        keys = sorted(k for k in self.rows if after is None or k >= after)[:limit]
        return [(k, self.rows[k]) for k in keys]


class MisorderedScan(OldDict):
    """An old store whose scan forgets ``ORDER BY``, or its cursor, as ``self.fault`` says."""

    fault = "descending"

    def scan(self, after, limit):
        if self.fault == "descending":
            keys = sorted((k for k in self.rows if after is None or k > after), reverse=True)[:limit]
        else:   # "from the start": the cursor ignored
            keys = sorted(self.rows)[:limit]
        return [(k, self.rows[k]) for k in keys]


def test_a_scan_that_returns_the_cursor_again_is_refused_not_looped_on(store):
    # With batches of one, both jobs walked the same key forever (the Swift hostile probe saw done = 51 of 3).
    world = World(store)
    try:
        world.old = world.migrator.old = CarelessScan()
        world.phase("backfill")   # the old store is no longer written: an absent key is a mismatch
        world.old.rows.update({"a": 1, "b": 2, "c": 3})
        verifier = Verifier(world.migrator, batch_size=1)
        assert verifier.step() and verifier.done == 1 and verifier.mismatches == 1
        with pytest.raises(ScanOrderError) as refused:
            verifier.step()
        assert str(refused.value) == (
            "the old store's scan after 'a' returned 'a', not after 'a': scan(after, limit) must return keys strictly "
            "after the cursor, in increasing order (as Python's < compares str, by code point); nothing was copied "
            "or verified from this batch")
        assert isinstance(refused.value, MigctlClientError) and (refused.value.cursor, refused.value.key) == ("a", "a")
        assert (verifier.done, verifier.mismatches, verifier.cursor) == (1, 1, "a"), "nothing counted from the refused batch"
        assert (store.progress("verify")["done"], len(store.mismatches())) == (1, 1), "nor recorded"
        backfill = Backfill(world.migrator, batch_size=1)
        assert backfill.step() and backfill.done == 1
        with pytest.raises(ScanOrderError, match="scan after 'a' returned 'a', not after 'a'"):
            backfill.step()
        assert (backfill.done, backfill.cursor, store.progress("backfill")["done"]) == (1, "a", 1)
        assert set(world.new.rows) == {"a"}
        assert world.counters() == {"verify.full.mismatch": 1, "backfill": 1}
    finally:
        world.client.shutdown()


def test_a_scan_out_of_order_is_refused_before_anything_is_walked(store):
    world = World(store)
    try:
        old = world.old = world.migrator.old = MisorderedScan()
        world.phase("backfill")
        old.rows.update({"a": 1, "b\x1b[2J": 2, "c": 3})
        for job in (Verifier(world.migrator, batch_size=2), Backfill(world.migrator, batch_size=2)):
            old.fault, recorded = "descending", len(store.mismatches())
            with pytest.raises(ScanOrderError) as refused:
                job.step()
            assert str(refused.value).startswith("the old store's scan after the start returned 'b?[2J', not after 'c': "), \
                "a key reaches the sentence terminal-safe"
            assert job.done == 0 and world.new.rows == {} and len(store.mismatches()) == recorded
            old.fault = "from the start"
            assert job.step() and job.done == 2
            with pytest.raises(ScanOrderError, match="scan after 'b\\?\\[2J' returned 'a', not after 'b\\?\\[2J'"):
                job.step()
            assert job.done == 2 and job.cursor == "b\x1b[2J"
        assert set(world.new.rows) == {"a", "b\x1b[2J"} and len(store.mismatches()) == 2
    finally:
        world.client.shutdown()


def test_keys_are_walked_in_code_point_order_not_swifts(world):
    # Swift's String < compares canonical equivalents as equal and orders by their NFC form, so
    # U+212B ANGSTROM SIGN (NFC: U+00C5) sorts before U+00C6 there, and "e\u0301" equals "\u00e9".
    # Python's str orders by code point, as SQLite's BINARY collation does: the Python jobs walk
    # such keys in the order a store sorting by code point scans them.
    world.phase("backfill")
    keys = ["e\u0301", "\u00c6", "\u00e9", "\u212b"]
    world.old.rows.update({k: 1 for k in keys})
    backfill = Backfill(world.migrator, batch_size=2)
    while backfill.step():
        pass
    assert backfill.done == 4 and set(world.new.rows) == set(keys)
    assert world.verify(batch_size=2).done == 4


VERIFIED_PLAN = UNGATED_PLAN.replace("{id: cleanup, reads: new, writes: [new], ramp: false}",
                                    "{id: cleanup, reads: new, writes: [new], ramp: false, "
                                    "gates: [{kind: verified, since: backfill}]}")


@pytest.mark.parametrize("plan_text", [VERIFIED_PLAN])
def test_migctl_reports_and_gates_on_what_the_python_verifier_records(world, store, plan_text):
    assert "verified" in plan_text
    world.phase("backfill")
    hostile = "bad\u202e\x1b[31m"
    world.old.rows.update({f"k{i:02d}": i for i in range(30)})
    world.old.rows[hostile] = 1
    world.new.rows.update({f"k{i:02d}": Stored(i) for i in range(30)})
    world.new.rows["k07"] = Stored(99)
    found = world.verify(batch_size=10)
    report = store.migctl.json("verify", "report")
    assert (report["runStartedAt"], report["sincePhase"], report["mismatches"], report["walked"]) == \
        (found.started_at, "backfill", 2, 31)
    assert [(m["key"], m["oldDigest"], m["newDigest"]) for m in report["shown"]] == \
        [(hostile, sha("1"), "absent"), ("k07", sha("7"), sha("99"))]
    shown = store.migctl.run("verify", "report").stdout
    assert "k07" in shown and "\x1b" not in shown and "\u202e" not in shown, "keys are sanitised when shown"
    assert store.migctl.run("verify", "status", "--wait", check=False).returncode == 3, "finished with mismatches"
    refused = store.migctl.run("advance", "--to", "cleanup", "--confirm", "cleanup", "--reason", "test", check=False)
    assert refused.returncode == 3 and "2 keys differ" in refused.stdout + refused.stderr
    world.new.rows["k07"], world.new.rows[hostile] = Stored(7), Stored(1)   # repaired
    clean = world.verify(batch_size=10)
    assert clean.mismatches == 0 and clean.started_at > found.started_at
    assert store.migctl.run("verify", "status", "--wait").returncode == 0
    store.migctl.run("advance", "--to", "cleanup", "--confirm", "cleanup", "--reason", "test")
    assert store.migctl.status()["phase"] == "cleanup"


def test_kill_9_mid_run_resumes_the_run_and_records_each_mismatch_once(world, store, tmp_path):
    seeded = 2000
    world.phase("backfill")   # the old store is frozen: tombstones match, other differences do not
    old, new = OldUsers(tmp_path / "old.db"), NewUsers(tmp_path / "new.db")
    old.seed(seeded)
    rng = random.Random(16)
    keys = [key(i) for i in range(seeded)]
    for k in keys:
        new.put_if_absent(k, seeded_user(int(k[5:])), "backfill")
    damaged = rng.sample(keys, 40)
    absent, changed, deleted = damaged[:15], damaged[15:30], damaged[30:]
    for k in absent:
        new.db().execute("DELETE FROM users WHERE id = ?", (k,))
    for k in changed:
        new.put(k, Stored(User("Changed", "changed@example.net", 1)), "write")
    for k in deleted:
        new.put(k, Stored.TOMBSTONE, "write")
    expected = sorted(absent + changed)
    run_started, last_done = None, 0
    for round in range(10):
        batch = rng.randint(5, 40)
        lines = run_job_child("Verifier", store.location, tmp_path, batch, rng, kill=round < 9)   # the last runs to the end
        progress = store.progress("verify")
        rows = store.mismatches()
        if progress is None:
            assert rows == [] and round == 0
            continue
        run_started = run_started or progress["started_at"]
        if lines and lines[0][0] != "finished" and progress["finished_at"] is None:
            assert int(lines[0][0]) == last_done + batch, "a restarted verifier goes on after the stored cursor"
        assert progress["started_at"] == run_started, "every restart goes on with the same run"
        assert progress["done"] >= last_done
        found = [row[1] for row in rows]
        assert len(found) == len(set(found)) == progress["mismatches"], "the rows and the count landed together, once"
        assert set(found) <= set(expected) and {row[0] for row in rows} == {run_started}
        assert progress["cursor"] is None or all(k in found for k in expected if k <= progress["cursor"]), \
            "every mismatch up to the stored cursor is recorded"
        last_done = progress["done"]
        if progress["finished_at"] is not None:
            break
    progress = store.progress("verify")
    assert progress["finished_at"] is not None and progress["done"] == progress["total"] == seeded
    assert sorted(row[1] for row in store.mismatches()) == expected
    for _, k, old_digest, new_digest, _ in store.mismatches():
        index = int(k[5:])
        assert old_digest == sha(f'["User {index}","user{index}@example{index % 7}.com",1]')
        assert new_digest == ("absent" if k in absent else sha('["Changed","changed@example.net",1]'))
    if store.kind == "sqlite":
        assert store.sql("PRAGMA integrity_check") == [("ok",)]
        assert store.migctl.run("log", "--verify").returncode == 0
    old.close()
    new.close()
