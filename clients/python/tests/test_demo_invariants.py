"""The Swift demo's invariants (Sources/DemoService/Invariants.swift) with a Python workload,
across every phase of the plan, the phases driven by the real ``migctl`` commands (issue 15):

- no lost write: every key the reference model knows reads, with its final phase's semantics,
  as the last acknowledged write or delete left it;
- no resurrected delete: every deleted key stays deleted, through copy on miss, the backfill
  and the purge of tombstones;
- counters match the stores: ``miss`` equals the rows copied on read, ``backfill`` the rows the
  backfill copied (removed ones included), and ``write`` + ``delete`` the acknowledged operations.

Two clients share the stores: one in this process (three workload threads and the backfill)
and one in a spawned process (two more threads). The data stores are SQLite files either way;
the control store is SQLite or PostgreSQL. Each workload thread owns its keys (as in the Swift
demo), so the model is exact; no client reads another's keys. That is deliberate: in ``read-new``
a delete leaves no tombstone (the contract's rule), so another client's copy on miss that read
the old store just before the delete puts the record back into the new store, where
``new-primary`` then reads it: a race of the phase semantics themselves, in Swift too.

Between two commands, the test waits until both clients route by the new state version and each
process has done some traffic under it; it purges tombstones only once both route by
``cleanup`` (reads of the new store alone), so no fallback read can copy a purged key back.
"""
from __future__ import annotations

import json
import multiprocessing

import pytest

from conftest import wait_for
from demo_stores import (OldUsers, NewUsers, User, key, open_workload, run_workload_process, seeded_user,
                         value_of)
from migctl_client import Backfill

SEEDED = 3000
MAIN_WORKERS, CHILD_WORKERS = (0, 1, 2), (3, 4)
TOTAL_WORKERS = len(MAIN_WORKERS) + len(CHILD_WORKERS)
REFRESH = 0.05
#: Operations each process must have done under a new routing before the next command.
TRAFFIC_PER_STEP = 60
#: Phase by phase, the rollouts it is ramped through (none: entered at 100%).
LADDER = [("dual-write", (10, 50, 100)), ("read-new", (10, 50, 100)), ("new-primary", (10, 50, 100)),
          ("new-only", (10, 50, 100)), ("backfill", ()), ("cleanup", ()), ("complete", ())]


@pytest.fixture
def control(store):
    """(the operator's ``Migctl``, the control store the application clients open), each kind in turn."""
    return store.migctl, store.location


class Fleet:
    """The two workloads and their clients: this process's, and the spawned one's."""

    def __init__(self, control_db: str, folder):
        self.client, self.old, self.new, self.migrator, self.workload = open_workload(
            control_db, folder, MAIN_WORKERS, TOTAL_WORKERS, SEEDED, REFRESH)
        context = multiprocessing.get_context("spawn")
        self.stop_child = context.Event()
        self.child_version = context.Value("q", 0)
        self.child_operations = context.Value("q", 0)
        self.result_path = folder / "child-result.json"
        self.child = context.Process(
            target=run_workload_process, name="workload-process",
            args=(control_db, str(folder), CHILD_WORKERS, TOTAL_WORKERS, SEEDED, REFRESH, self.stop_child,
                  self.child_version, self.child_operations, str(self.result_path)))

    def start(self) -> None:
        self.workload.start()
        self.child.start()
        wait_for(lambda: self.child_operations.value > 0 or not self.child.is_alive(), timeout=30,
                 message="the second process's first operations")
        assert self.child.is_alive(), f"the workload process exited with {self.child.exitcode}"

    def settle(self, version: int) -> None:
        """Waits until both clients route by ``version`` (or later), then until each process has
        done ``TRAFFIC_PER_STEP`` operations routed by it."""
        wait_for(lambda: self.client.current.version >= version and self.child_version.value >= version,
                 timeout=15, message=f"both clients routing by state version {version}")
        main, child = self.workload.operations, self.child_operations.value
        wait_for(lambda: self.workload.operations >= main + TRAFFIC_PER_STEP
                 and self.child_operations.value >= child + TRAFFIC_PER_STEP
                 or not self.child.is_alive(), timeout=20, message=f"traffic at state version {version}")
        assert self.child.is_alive(), f"the workload process exited with {self.child.exitcode}"

    def stop(self) -> dict:
        """Stops both workloads, shuts the child's client down (it flushes) and returns its result."""
        self.workload.stop()
        self.stop_child.set()
        self.child.join(30)
        if self.child.is_alive():
            self.child.kill()
            self.child.join()
            pytest.fail("the workload process did not stop within 30 s")
        assert self.child.exitcode == 0, f"the workload process exited with {self.child.exitcode}"
        return json.loads(self.result_path.read_text())

    def abandon(self) -> None:
        """After a failure: stop everything without checking anything."""
        self.workload.stop(5)
        self.stop_child.set()
        if self.child.pid is not None:
            self.child.join(10)
            if self.child.is_alive():
                self.child.kill()
                self.child.join()
        self.client.shutdown(timeout=2)


def run_backfill(fleet: Fleet, batch_size: int = 250) -> None:
    """Runs the backfill to completion: paused and resumed once a third of the way, then
    abandoned two thirds of the way (a crash) and restarted from its cursor in a fresh object."""
    old, new = fleet.old, fleet.new
    total, scanned_before = old.count(), old.scanned
    backfill = Backfill(fleet.migrator, batch_size=batch_size)
    while backfill.done < total // 3:
        assert backfill.step(), "the backfill finished before a third of the way"
    backfill.pause()
    assert backfill.is_paused
    cursor, done, copied = backfill.cursor, backfill.done, new.rows_by_origin().get("backfill", 0)
    assert backfill.step() is False, "a paused backfill took a step"
    assert (backfill.cursor, backfill.done, new.rows_by_origin().get("backfill", 0)) == (cursor, done, copied), \
        "a paused backfill moved or copied"
    backfill.resume()
    while backfill.done < 2 * total // 3:
        assert backfill.step(), "the backfill finished before two thirds of the way"
    cursor, done = backfill.cursor, backfill.done
    del backfill   # a crash: only the persisted cursor and count survive
    restarted = Backfill(fleet.migrator, batch_size=batch_size, cursor=cursor, done=done)
    while restarted.step():
        pass
    assert restarted.is_finished and not restarted.step()
    # The old store takes no writes since new-only: the two runs walked each record exactly once.
    assert old.count() == total
    assert restarted.done == total, f"the backfill walked {restarted.done} records of {total}"
    assert old.scanned - scanned_before == total, \
        f"the two runs scanned {old.scanned - scanned_before} records of {total}: the restart did not resume at its cursor"
    missing = set(old.keys()) - set(new.keys())
    assert not missing, f"{len(missing)} records of the old store are not in the new one after the backfill, e.g. {sorted(missing)[:3]}"


def test_invariants_hold_across_every_phase(control, tmp_path):
    migctl, control_db = control
    seeding = OldUsers(tmp_path / "old.db")
    seeding.seed(SEEDED)
    seeding.close()
    NewUsers(tmp_path / "new.db").close()

    fleet = Fleet(control_db, tmp_path)
    try:
        fleet.start()
        fleet.settle(migctl.status()["version"])
        for phase, ramp in LADDER:
            assert migctl.advance(ramp[0] if ramp else 100) == phase
            for rollout in ramp[1:] + (None,):
                status = migctl.status()
                assert status["phase"] == phase
                fleet.settle(status["version"])
                assert fleet.client.current.phase == phase
                assert fleet.client.current.rollout == status["rolloutBasisPoints"]
                if rollout is not None:
                    migctl.rollout(rollout)
            if phase == "backfill":
                run_backfill(fleet)
            elif phase == "cleanup":
                # Every client reads the new store only now: no read can copy a purged key back.
                # (Traffic goes on: a delete now removes a tombstone row, a write revives one.)
                purged = fleet.new.purge_tombstones()
                assert purged > 0, "no tombstones to purge: no delete since new-primary?"
                assert fleet.new.tombstones() == 0, "a tombstone was left, or made in cleanup"
                fleet.settle(status["version"])   # traffic after the purge
        child = fleet.stop()
        fleet.client.shutdown()
    except BaseException:
        fleet.abandon()
        raise

    main = fleet.workload.result()
    assert main["errors"] == [] and child["errors"] == [], "requests failed"
    assert main["secondary_failures"] == [] and child["secondary_failures"] == []
    assert main["inconsistent_reads"] == [] and child["inconsistent_reads"] == [], \
        "reads returned something other than the last acknowledged write"

    # The reference model: the seed, then every acknowledged write and delete (owners are disjoint).
    reference = {key(i): seeded_user(i) for i in range(SEEDED)}
    reference.update(fleet.workload.model)
    reference.update({k: None if v is None else User(*v) for k, v in child["model"].items()})
    deleted = [k for k, v in reference.items() if v is None]
    assert deleted and len(reference) > SEEDED, "the workload deleted and inserted nothing"

    old, new, client = fleet.old, fleet.new, fleet.client
    assert client.current.phase == "complete"
    lost, resurrected = [], []
    for k, expected in reference.items():
        route = client.route(k)
        assert route.phase == "complete" and route.reads == "new"
        actual = value_of(k, route, old, new)
        if actual != expected:
            (resurrected if expected is None else lost).append(f"{k}: {actual} instead of {expected}")
    assert lost == [], f"{len(lost)} lost or stale writes, e.g. {lost[:3]}"
    assert resurrected == [], f"{len(resurrected)} deleted keys came back, e.g. {resurrected[:3]}"

    status = migctl.status()
    counters, gauges = status["counters"], status["gauges"]
    rows = new.rows_by_origin()
    assert counters.get("miss", 0) == rows.get("miss", 0) > 0, \
        f"miss counted {counters.get('miss', 0)} but {rows.get('miss', 0)} rows were copied on read"
    assert counters.get("backfill", 0) == rows.get("backfill", 0) > 0, \
        f"backfill counted {counters.get('backfill', 0)} but {rows.get('backfill', 0)} rows were copied by the backfill"
    acknowledged = main["acknowledged"] + child["acknowledged"]
    assert counters.get("write", 0) + counters.get("delete", 0) == acknowledged, \
        f"write {counters.get('write', 0)} + delete {counters.get('delete', 0)} counted, {acknowledged} acknowledged"
    assert counters.get("write.old", 0) + counters.get("write.new", 0) == acknowledged
    assert counters.get("write.old.error", 0) == counters.get("write.new.error", 0) == 0
    assert counters.get("verify.mismatch", 0) == 0 and counters.get("verify.match", 0) > 0
    assert counters.get("hit", 0) > 0 and counters.get("read.old", 0) > 0
    assert not any(name.startswith("client.") for name in counters), f"client incidents: {counters}"
    assert gauges.get("backfill.remaining") == 0 and gauges.get("backfill.total") == old.count()
    old.close()
    new.close()
