"""The plan's health throttle (issue 16): a phase's ``throttle`` rules slow or pause the Python
``Backfill`` and ``Verifier`` as they do the Swift ones, with the same sentences in
``job_progress.throttled``. The formatting and the decision against the Swift tests' own
figures and sentences; each job on each control store against gauges set with ``migctl gauge``
(never reported, above the pause bound, between the bounds with the spacing measured, recovered,
stale, from the future, unreadable); hostile rules and gauge rows; and the sentences the real
Swift client writes (``migctl simulate`` runs the Swift ``Backfill``) against the Python ones,
gauge value by gauge value."""
from __future__ import annotations

import logging
import re
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import UNGATED_PLAN, migctl_binary, wait_for
from migctl_client import Backfill, Client, Migrator, Stored, Verifier
from migctl_client._instant import instant
from migctl_client._throttle import Gauge, Throttle, decide, duration, number, rules_from_automation
from test_migrator import NewDict, OldDict
from test_verify import World

BACKFILL_PHASE = "{id: backfill, reads: new-fallback-old, writes: [new], ramp: false}"


def throttled_plan(rules: str) -> str:
    """The ungated plan with ``throttle: RULES`` on its backfill phase."""
    assert BACKFILL_PHASE in UNGATED_PLAN
    return UNGATED_PLAN.replace(BACKFILL_PHASE, BACKFILL_PHASE[:-1] + f", throttle: {rules}}}")


LAG_PLAN = throttled_plan("[{gauge: replication.lag_seconds, slow_above: 5, slow_rate: 100, pause_above: 30, max_age: 1m}]")
NEVER = "paused: replication.lag_seconds has never been reported, and the plan throttles on it"
SLOWED = "slowed to 100 rows a second: replication.lag_seconds is 12, above 5"
ABOVE = "paused: replication.lag_seconds is 45, above 30"
FUTURE = "paused: replication.lag_seconds was reported in the future; its clock or its row is wrong"
STALE = re.compile(r"paused: replication\.lag_seconds was last reported (5m|30\ds) ago, older than 1m\Z")


# ---- the decision and its sentences, against the Swift tests --------------------------------------

@pytest.mark.parametrize("value, text", [   # Tests/MigrationCoreTests/GateEvaluationTests.swift, GateFormatTests
    (0.05, "0.05"), (12.0, "12"), (1.5, "1.5"), (0.001, "0.001"), (0.0082, "0.0082"), (0.00005, "5e-05"),
    (0.00001, "1e-05"), (-0.25, "-0.25"), (2.5e20, "2.5e+20"), (float("nan"), "NaN"), (float("inf"), "+Inf"),
    (float("-inf"), "-Inf"), (0.99999, "1"), (123.45678, "123.4568"), (-0.0, "0"), (999_999_999_999_999.0, "999999999999999"),
    (1e15, "1e+15"),
])
def test_numbers_print_as_migctl_prints_gate_figures(value, text):
    assert number(value) == text


@pytest.mark.parametrize("seconds, text", [(60, "1m"), (90, "1m 30s"), (63, "1m 03s"), (120, "2m"), (3600, "1h"),
                                           (5400, "1h 30m"), (7500, "2h 05m"), (86_400, "1d"), (129_600, "1d 12h"),
                                           (45, "45s"), (0, "0s"), (-5, "0s"), (float("nan"), "0s")])
def test_durations_print_as_migctl_writes_every_duration(seconds, text):
    assert duration(seconds) == text


NOW = 1_800_000_000.0
LAG = Throttle("replication.lag_seconds", 5.0, 200, 30.0, 60)
CPU = Throttle("db.cpu", 0.5, 50, None, 60)


def gauges(**values):
    """Gauges as the Swift tests make them: name (dots as __) -> (value, age in seconds)."""
    return {name.replace("__", "."): Gauge(value, NOW - age) for name, (value, age) in values.items()}


def test_the_decision_and_its_sentences_are_the_swift_clients():
    # The cases and sentences of Tests/MigrationCoreTests/JobThrottleTests.swift, copied literally.
    def reason(rules, **values):
        return decide(rules, gauges(**values), NOW).reason

    assert reason([LAG], replication__lag_seconds=(2, 5)) is None
    assert reason([LAG], replication__lag_seconds=(5, 5)) is None, "bounds are inclusive"
    slow = decide([LAG], gauges(replication__lag_seconds=(12, 5)), NOW)
    assert (slow.paused, slow.rate, slow.reason) == (False, 200, "slowed to 200 rows a second: replication.lag_seconds is 12, above 5")
    assert reason([LAG], replication__lag_seconds=(31, 5)) == "paused: replication.lag_seconds is 31, above 30"
    assert reason([LAG], replication__lag_seconds=(float("nan"), 5)) == "paused: replication.lag_seconds is NaN, above 30", \
        "a gauge that is not a number is not healthy"
    assert decide([LAG], {}, NOW).reason == NEVER
    assert "older than 1m" in reason([LAG], replication__lag_seconds=(1, 120))
    assert reason([LAG], replication__lag_seconds=(1, 120)) == "paused: replication.lag_seconds was last reported 2m ago, older than 1m"
    assert reason([LAG], replication__lag_seconds=(1, 61.9)) == "paused: replication.lag_seconds was last reported 1m 01s ago, older than 1m"
    assert reason([LAG], replication__lag_seconds=(1, 60)) is None, "as old as max_age is not older"
    assert reason([LAG], replication__lag_seconds=(1, -3600)) == FUTURE
    assert reason([LAG], replication__lag_seconds=(1, -59)) is None, "a little clock skew is fine"
    both = gauges(replication__lag_seconds=(10, 1), db__cpu=(0.9, 1))
    assert decide([LAG, CPU], both, NOW) == (False, 50, "slowed to 50 rows a second: db.cpu is 0.9, above 0.5"), "the lowest rate wins"
    paused = gauges(replication__lag_seconds=(40, 1), db__cpu=(0.9, 1))
    assert decide([CPU, LAG], paused, NOW).reason == "paused: replication.lag_seconds is 40, above 30", "any pause wins"
    same = Throttle("db.io", 0.5, 50, None, 60)
    assert decide([CPU, same], gauges(db__cpu=(0.9, 1), db__io=(0.8, 1)), NOW).reason.endswith("db.cpu is 0.9, above 0.5"), \
        "of equal rates the first rule's"


def test_stored_rules_read_as_the_swift_client_stores_them():
    # What 'migctl init' stored for LAG_PLAN's backfill phase (SortedJSON of PhaseAutomation).
    stored = ('{"autoAdvance":false,"guards":[],"throttle":[{"gauge":"replication.lag_seconds","maxAgeSeconds":60,'
              '"pauseAbove":30,"slowAbove":5,"slowRate":100}]}')
    assert rules_from_automation(stored) == ((Throttle("replication.lag_seconds", 5.0, 100, 30.0, 60),), None)
    assert rules_from_automation(None) == ((), None)
    assert rules_from_automation('{"autoAdvance":true,"guards":[]}') == ((), None), "a plan without throttles has none"
    assert rules_from_automation('{"throttle":null}') == ((), None)
    assert rules_from_automation('{"throttle":[{"gauge":"db.cpu","pauseAbove":0.5,"maxAgeSeconds":30}]}') == \
        ((Throttle("db.cpu", None, None, 0.5, 30),), None)


HOSTILE_RULES = [
    ("not json", "phases.automation is not JSON"),
    ("[" * 100_000, "phases.automation is not JSON"),
    ("12345", "phases.automation is not a JSON object"),
    (b"\xff\xfe", "phases.automation is not UTF-8 text"),
    ('{"throttle":{"gauge":"x"}}', "its throttle is not a list of at most 32 rules"),
    ('{"throttle":[' + ",".join(['{"gauge":"a","pauseAbove":1,"maxAgeSeconds":60}'] * 33) + "]}",
     "its throttle is not a list of at most 32 rules"),
    ('{"throttle":[7]}', "throttle rule 1: not a JSON object"),
    ('{"throttle":[{"pauseAbove":1,"maxAgeSeconds":60}]}', "throttle rule 1: gauge is missing, not a gauge name"),
    ('{"throttle":[{"gauge":"Lag!\\u001b[2J","pauseAbove":1,"maxAgeSeconds":60}]}',
     "throttle rule 1: gauge is 'Lag!?[2J', not a gauge name"),
    ('{"throttle":[{"gauge":"' + "g" * 65 + '","pauseAbove":1,"maxAgeSeconds":60}]}',
     "throttle rule 1: gauge is '" + "g" * 40 + "…', not a gauge name"),
    ('{"throttle":[{"gauge":"a","pauseAbove":1,"maxAgeSeconds":60},{"gauge":"b","slowAbove":1,"slowRate":"fast","maxAgeSeconds":60}]}',
     "throttle rule 2: slowRate is 'fast', not a whole number from 1 to 1000000000"),
    ('{"throttle":[{"gauge":"a","slowAbove":1,"slowRate":0,"maxAgeSeconds":60}]}',
     "throttle rule 1: slowRate is 0, not a whole number from 1 to 1000000000"),
    ('{"throttle":[{"gauge":"a","slowAbove":1,"slowRate":100.5,"maxAgeSeconds":60}]}',
     "throttle rule 1: slowRate is 100.5, not a whole number from 1 to 1000000000"),
    ('{"throttle":[{"gauge":"a","slowAbove":1,"slowRate":true,"maxAgeSeconds":60}]}',
     "throttle rule 1: slowRate is True, not a whole number from 1 to 1000000000"),
    ('{"throttle":[{"gauge":"a","pauseAbove":NaN,"maxAgeSeconds":60}]}', "throttle rule 1: pauseAbove is nan, not a finite number"),
    ('{"throttle":[{"gauge":"a","pauseAbove":Infinity,"maxAgeSeconds":60}]}', "throttle rule 1: pauseAbove is inf, not a finite number"),
    ('{"throttle":[{"gauge":"a","pauseAbove":1' + "0" * 400 + ',"maxAgeSeconds":60}]}',
     "throttle rule 1: pauseAbove is a large whole number, not a finite number"),
    ('{"throttle":[{"gauge":"a","slowAbove":[1],"slowRate":5,"maxAgeSeconds":60}]}',
     "throttle rule 1: slowAbove is a list, not a finite number"),
    ('{"throttle":[{"gauge":"a","pauseAbove":1}]}', "throttle rule 1: maxAgeSeconds is missing, not a whole number of seconds"),
    ('{"throttle":[{"gauge":"a","pauseAbove":1,"maxAgeSeconds":1e3}]}',
     "throttle rule 1: maxAgeSeconds is 1000.0, not a whole number of seconds"),
    ('{"throttle":[{"gauge":"a","pauseAbove":1,"maxAgeSeconds":' + "9" * 30 + "}]}",
     "throttle rule 1: maxAgeSeconds is a large whole number, not a whole number of seconds"),
]


@pytest.mark.parametrize("text, problem", HOSTILE_RULES)
def test_rules_that_cannot_be_read_say_what_is_wrong(text, problem):
    assert rules_from_automation(text) == ((), problem)


# ---- each job on each store ----------------------------------------------------------------------

def report(store, value) -> None:
    store.migctl.run("gauge", "replication.lag_seconds", str(value))


def age_gauge(store, seconds: float) -> None:
    """Moves the gauge's ``updated_at`` ``seconds`` into the past (negative: the future)."""
    if store.kind == "sqlite":
        store.sql("UPDATE gauges SET updated_at = ? WHERE name = 'replication.lag_seconds'", instant(time.time() - seconds))
        return
    store.sql("ALTER TABLE {s}gauges DISABLE TRIGGER gauges_stamp")   # it stamps every change with now()
    try:
        store.sql("UPDATE {s}gauges SET updated_at = now() - make_interval(secs => ?) WHERE name = 'replication.lag_seconds'",
                  float(seconds))
    finally:
        store.sql("ALTER TABLE {s}gauges ENABLE TRIGGER gauges_stamp")


def timed_steps(job, count: int) -> float:
    """Seconds ``count`` steps took, each of which walked."""
    started = time.monotonic()
    for _ in range(count):
        assert job.step()
    return time.monotonic() - started


@pytest.fixture
def world(store):
    world = World(store)
    yield world
    world.client.shutdown()


@pytest.mark.parametrize("plan_text", [LAG_PLAN])
def test_the_backfill_slows_and_pauses_on_the_plans_gauges(world, store, plan_text):
    world.old.rows.update({f"k{i:03d}": i for i in range(400)})
    world.phase("new-only")
    backfill = Backfill(world.migrator, batch_size=10)
    assert backfill.step() and backfill.throttled is None, "new-only has no throttle: no gauge needed"
    world.phase("backfill")
    assert not backfill.step() and backfill.throttled == NEVER
    progress = store.progress("backfill")
    assert (progress["throttled"], progress["cursor"], progress["done"], progress["total"]) == (NEVER, "k009", 10, 400), \
        "recorded where the backfill stands"
    store.sql("DELETE FROM {s}job_progress WHERE job = 'backfill'")
    assert not backfill.step() and store.progress("backfill") is None, "recorded once per change, not at each step"
    report(store, 45)
    assert not backfill.step() and store.progress("backfill")["throttled"] == ABOVE and backfill.cursor == "k009"
    assert len(world.new.rows) == 10, "nothing copied while paused"

    report(store, 12)   # 10 rows a batch at 100 rows a second: a batch every 0.1 s
    assert timed_steps(backfill, 5) >= 0.38 and backfill.throttled == SLOWED
    progress = store.progress("backfill")
    assert (progress["throttled"], progress["cursor"], progress["done"]) == (SLOWED, "k059", 60)
    store.migctl.run("backfill", "batch", "10")   # once an operator set anything, the operator's batch size holds
    store.migctl.run("backfill", "rate", "50")   # the operator's rate is lower: it holds (0.2 s a batch)
    assert timed_steps(backfill, 3) >= 0.38
    store.migctl.run("backfill", "rate", "100000")   # higher: the throttle's 100 holds
    assert timed_steps(backfill, 3) >= 0.18

    report(store, 1)   # recovered: full speed, even under the operator's high rate
    assert timed_steps(backfill, 20) < 1.5, "20 batches at 100 rows a second would take 1.9 s"
    assert backfill.throttled is None and store.progress("backfill")["throttled"] is None

    age_gauge(store, 300)
    assert not backfill.step() and STALE.match(backfill.throttled)
    assert STALE.match(store.progress("backfill")["throttled"])
    age_gauge(store, -3600)
    assert not backfill.step() and store.progress("backfill")["throttled"] == FUTURE
    report(store, 1)
    while backfill.step():
        pass
    progress = store.progress("backfill")
    assert (progress["throttled"], progress["done"], progress["finished_at"] is not None) == (None, 400, True)
    assert all(world.new.rows[k] == Stored(v) for k, v in world.old.rows.items())


@pytest.mark.parametrize("plan_text", [LAG_PLAN])
def test_the_verifier_slows_and_pauses_on_the_plans_gauges(world, store, plan_text):
    world.old.rows.update({f"k{i:03d}": i for i in range(200)})
    world.new.rows.update({f"k{i:03d}": Stored(i) for i in range(200)})
    world.phase("new-only")
    verifier = Verifier(world.migrator, batch_size=10)
    assert verifier.step() and verifier.throttled is None
    world.phase("backfill")
    assert not verifier.step() and verifier.throttled == NEVER
    progress = store.progress("verify")
    assert (progress["throttled"], progress["cursor"], progress["done"], progress["finished_at"]) == (NEVER, "k009", 10, None)
    report(store, 45)
    assert not verifier.step() and store.progress("verify")["throttled"] == ABOVE and verifier.done == 10
    report(store, 12)
    assert timed_steps(verifier, 5) >= 0.38 and store.progress("verify")["throttled"] == SLOWED
    age_gauge(store, 300)
    assert not verifier.step() and STALE.match(store.progress("verify")["throttled"])
    report(store, 1)
    assert timed_steps(verifier, 5) < 0.38
    while verifier.step():
        pass
    progress = store.progress("verify")
    assert (progress["throttled"], progress["done"], progress["mismatches"]) == (None, 200, 0)
    assert world.counters()["verify.full.match"] == 200

    report(store, 45)
    fresh = Verifier(world.migrator, batch_size=10)   # would start a new run: the throttle holds it first
    assert not fresh.step() and fresh.throttled == ABOVE
    assert store.progress("verify") == progress, \
        "as the Swift Verifier: one paused before its first batch has no run to record the reason in"


@pytest.mark.parametrize("plan_text", [LAG_PLAN])
def test_gauges_that_cannot_be_read_leave_the_last_decision(world, store, plan_text):
    world.old.rows.update({f"k{i:03d}": i for i in range(100)})
    world.phase("backfill")
    backfill = Backfill(world.migrator, batch_size=10)
    report(store, 12)
    assert backfill.step() and backfill.throttled == SLOWED
    if store.kind == "sqlite":
        hide, show = "ALTER TABLE gauges RENAME TO gauges_away", "ALTER TABLE gauges_away RENAME TO gauges"
    else:
        app = store.schema + "_app"
        hide, show = f"REVOKE SELECT ON {{s}}gauges FROM {app}", f"GRANT SELECT ON {{s}}gauges TO {app}"
    store.sql(hide)
    try:
        # Three batches of 10 at 100 rows a second: about 0.3 s (at least two full waits), ~0 unthrottled.
        assert timed_steps(backfill, 3) >= 0.2 and backfill.throttled == SLOWED, "still slowed"
    finally:
        store.sql(show)
    report(store, 1)
    assert backfill.step() and backfill.throttled is None


# ---- hostile rules and gauge rows (SQLite: the store's own rules are dropped to write them) -------

@pytest.mark.parametrize("plan_text", [LAG_PLAN])
@pytest.mark.parametrize("automation, problem", [
    ('{"throttle":[{"gauge":"replication.lag_seconds","slowAbove":5,"slowRate":"fast","maxAgeSeconds":60}]}',
     "throttle rule 1: slowRate is 'fast', not a whole number from 1 to 1000000000"),
    ("[" * 100_000, "phases.automation is not JSON"),
    (None, "phases.automation is not UTF-8 text"),   # X'FFFE' as text
])
def test_rules_that_cannot_be_read_pause_the_jobs_and_routing_goes_on(sqlite_store, plan_text, automation, problem, caplog):
    from conftest import Control
    store = Control(sqlite_store, sqlite_store.db)
    while sqlite_store.status()["phase"] != "backfill":
        sqlite_store.advance()
    store.sql("DROP TRIGGER phases_are_fixed_update")
    if automation is None:
        store.sql("UPDATE phases SET automation = CAST(X'FFFE' AS TEXT) WHERE id = 'backfill'")
    else:
        store.sql("UPDATE phases SET automation = ? WHERE id = 'backfill'", automation)
    report(store, 1)   # healthy: only the rules are wrong
    caplog.set_level(logging.WARNING, logger="migctl_client")
    old = OldDict()
    old.rows.update({"k1": 1, "k2": 2})
    with Client(sqlite_store.db) as client:
        assert client.route("k1").phase == "backfill", "routing goes on"
        migrator = Migrator(client, old, NewDict())
        backfill, verifier = Backfill(migrator), Verifier(migrator)
        reason = (f"paused: the throttle rules of phase backfill cannot be read ({problem}); "
                  "this client does not run the job without them")
        for _ in range(3):
            assert not backfill.step() and not verifier.step()
        assert backfill.throttled == reason and verifier.throttled == reason
        assert store.progress("backfill")["throttled"] == reason
        said = [r.getMessage() for r in caplog.records if "cannot be read" in r.getMessage()]
        assert len(said) == 2 and "the backfill job pauses" in said[0] and "the verify job pauses" in said[1], \
            "said once for each job, not at each step"


@pytest.mark.parametrize("plan_text", [LAG_PLAN])
@pytest.mark.parametrize("column, value", [
    ("value", "'high'"), ("value", "9e999"), ("value", "-9e999"), ("value", "CAST(X'FF' AS TEXT)"), ("value", "X'00'"),
    ("updated_at", "'yesterday'"), ("updated_at", "1800000000"), ("updated_at", "'2026-13-40T99:00:00.000Z'"),
    ("updated_at", "CAST(X'FF' AS TEXT)"), ("name", "CAST(X'FF' AS TEXT)"),
])
def test_gauge_rows_that_break_the_contract_read_as_never_reported(sqlite_store, plan_text, column, value):
    from conftest import Control
    store = Control(sqlite_store, sqlite_store.db)
    while sqlite_store.status()["phase"] != "backfill":
        sqlite_store.advance()
    report(store, 1)
    store.sql("DROP TRIGGER gauges_check_update")
    store.sql(f"UPDATE gauges SET {column} = {value} WHERE name = 'replication.lag_seconds'")
    old = OldDict()
    old.rows["k"] = 1
    with Client(sqlite_store.db) as client:
        backfill = Backfill(Migrator(client, old, NewDict()))
        assert not backfill.step() and backfill.throttled == NEVER


# ---- the Swift client writes the same sentences ----------------------------------------------------

AGREEMENT_PLAN = throttled_plan(
    "[{gauge: replication.lag_seconds, slow_above: 2.5, slow_rate: 100, pause_above: 30, max_age: 90s}, "
    "{gauge: db.cpu, slow_above: 0.00005, slow_rate: 80, pause_above: 0.99995, max_age: 2m}]")
LAGS, CPU_ = "replication.lag_seconds", "db.cpu"

#: Gauges (name -> (value, age in seconds)) and the sentence both clients must write.
AGREEMENT = [
    ({LAGS: (0, 0), CPU_: (0, 0)}, None),
    ({LAGS: (1, 0)}, "paused: db.cpu has never been reported, and the plan throttles on it"),
    ({LAGS: (31, 0), CPU_: (0, 0)}, "paused: replication.lag_seconds is 31, above 30"),
    ({LAGS: (30.00004, 0), CPU_: (0, 0)}, "paused: replication.lag_seconds is 30, above 30"),
    ({LAGS: (2.5e20, 0), CPU_: (0, 0)}, "paused: replication.lag_seconds is 2.5e+20, above 30"),
    ({LAGS: (12.3456789, 0), CPU_: (0, 0)}, "slowed to 100 rows a second: replication.lag_seconds is 12.3457, above 2.5"),
    ({LAGS: (1, 0), CPU_: (0.99999, 0)}, "paused: db.cpu is 1, above 1"),
    ({LAGS: (3, 0), CPU_: (0.0007, 0)}, "slowed to 80 rows a second: db.cpu is 0.0007, above 5e-05"),
    ({LAGS: (-7.25, 0), CPU_: (0.000051, 0)}, "slowed to 80 rows a second: db.cpu is 5.1e-05, above 5e-05"),
    ({LAGS: (2.5, 0), CPU_: (0.00005, 0)}, None),
    ({LAGS: (123.45678, 0), CPU_: (0, 0)}, "paused: replication.lag_seconds is 123.4568, above 30"),
    ({LAGS: (1, 200), CPU_: (0, 0)}, "paused: replication.lag_seconds was last reported 3m 20s ago, older than 1m 30s"),
    ({LAGS: (1, 0), CPU_: (0, 7200)}, "paused: db.cpu was last reported 2h ago, older than 2m"),
    ({LAGS: (1, -3600), CPU_: (0, 0)}, "paused: replication.lag_seconds was reported in the future; its clock or its row is wrong"),
    ({LAGS: (0, 0), CPU_: (0, 0)}, None),
]


def same_sentence(written, expected) -> bool:
    """Equal, but for a stale gauge's age, which moves while the clients write it: each within
    5 s of the one expected."""
    if written is None or expected is None:
        return written == expected
    age = re.compile(r"last reported ((?:\d+[smhd] ?)+) ago")
    found, wanted = age.search(written), age.search(expected)
    if not (found and wanted):
        return written == expected
    units = {"s": 1, "m": 60, "h": 3600, "d": 86_400}

    def seconds(text: str) -> int:  # "3m 20s" as migctl writes durations
        return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smhd])", text))

    close = abs(seconds(found[1]) - seconds(wanted[1])) <= 5
    return close and age.sub("", written) == age.sub("", expected)


def set_gauges(db: str, gauges: dict) -> None:
    """Both throttle gauges in one transaction: the cases' values, absent when not given."""
    conn = sqlite3.connect(db, isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM gauges WHERE name IN (?, ?)", (LAGS, CPU_))
        for name, (value, age) in gauges.items():
            conn.execute("INSERT INTO gauges (name, value, updated_at) VALUES (?, ?, ?)", (name, value, instant(time.time() - age)))
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.mark.parametrize("plan_text", [AGREEMENT_PLAN])
def test_python_writes_the_sentences_the_swift_client_writes(sqlite_store, plan_text, tmp_path):
    # `migctl simulate` runs the demo service, whose Swift Backfill steps every 0.1 s in `backfill`
    # and writes job_progress 'backfill'; a Python Verifier on the same store writes 'verify'.
    from conftest import Control
    store = Control(sqlite_store, sqlite_store.db)
    while sqlite_store.status()["phase"] != "backfill":
        sqlite_store.advance()
    sqlite_store.run("backfill", "batch", "10")   # the Swift backfill walks 3,000 users slowly enough to never finish here
    (tmp_path / "stores").mkdir()
    swift = subprocess.Popen([migctl_binary(), "simulate", "--db", sqlite_store.db, "--stores", str(tmp_path / "stores"),
                              "--records", "3000", "--workers", "1", "--rate", "5"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    old = OldDict()
    old.rows.update({f"k{i:06d}": i for i in range(100_000)})
    new = NewDict()
    new.rows.update({k: Stored(v) for k, v in old.rows.items()})
    try:
        initial = "paused: replication.lag_seconds has never been reported, and the plan throttles on it"
        wait_for(lambda: (store.progress("backfill") or {}).get("throttled") == initial, timeout=60,
                 message="the Swift backfill records that the gauge was never reported")
        with Client(sqlite_store.db, refresh_interval=0.02) as client:
            verifier = Verifier(Migrator(client, old, new), batch_size=1)
            assert not verifier.step() and verifier.throttled == initial
            for gauges, expected in AGREEMENT:
                set_gauges(sqlite_store.db, gauges)
                deadline = time.monotonic() + 15
                while True:
                    verifier.step()
                    written = (store.progress("backfill")["throttled"], store.progress("verify")["throttled"])
                    if all(same_sentence(w, expected) for w in written):
                        break
                    assert time.monotonic() < deadline, \
                        f"gauges {gauges}: Swift wrote {written[0]!r}, Python {written[1]!r}, expected {expected!r}"
                    assert swift.poll() is None, f"migctl simulate stopped: {swift.stderr.read()}"
    finally:
        swift.send_signal(signal.SIGINT)
        try:
            swift.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            swift.kill()
            swift.communicate()
