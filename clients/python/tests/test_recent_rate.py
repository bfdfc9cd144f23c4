"""The jobs' recent rate (issue 17): the Python ``Backfill`` and ``Verifier`` publish rows walked
a second over about the last 30 s in ``backfill.rate`` / ``verify.full.rate`` after each batch, as
the Swift ones do, with paused time left out and 0 once finished; ``migctl backfill status`` reads
the figure back as the console does. The pure average against the Swift tests' own figures
(``Tests/MigrationCoreTests/RecentRateTests.swift``)."""
from __future__ import annotations

import math
import time

import pytest

from migctl_client import Backfill, Stored, Verifier
from migctl_client._recent import RecentRate
from test_verify import World


def test_the_recent_rate_is_the_swift_clients():
    """The walk of ``theFiguresThePythonClientAgreesWith``, to the same figures."""
    recent = RecentRate()
    recent.resume(0)
    recent.walked(500, 0.5)
    assert recent.rows_per_second is None, "nothing during the first second"
    recent.walked(500, 1)
    assert recent.rows_per_second == pytest.approx(1000, abs=1e-9)
    recent.walked(0, 2)
    assert recent.rows_per_second == pytest.approx(483.3395034305888, abs=1e-6)
    recent.pause()
    recent.resume(10)
    recent.walked(1000, 11)
    assert recent.rows_per_second == pytest.approx(667.1599456987552, abs=1e-6)


def walk(recent: RecentRate, rows: int, every: float, start: float, end: float) -> None:
    recent.resume(start)
    steps = round((end - start) / every)
    for step in range(1, steps + 1):
        recent.walked(rows, start + step * every)


def test_a_pause_is_not_measured_and_a_clock_going_backwards_loses_no_rows():
    paused = RecentRate()
    walk(paused, 100, 0.1, 0, 10)
    paused.pause()
    walk(paused, 100, 0.1, 300, 301)
    assert paused.rows_per_second == pytest.approx(1000)
    backwards = RecentRate()
    walk(backwards, 100, 0.1, 0, 10)
    backwards.walked(100, 5)     # back 5 s: carried
    backwards.walked(100, 5)     # the same instant
    backwards.walked(100, 5.3)   # 300 rows in 0.3 s
    assert backwards.rows_per_second == pytest.approx(1000) and math.isfinite(backwards.rows_per_second)
    backwards.reset()
    assert backwards.rows_per_second is None


def rate_gauge(store, name: str):
    rows = store.sql("SELECT value FROM {s}gauges WHERE name = ?", name)
    return rows[0][0] if rows else None


def steered(store, job, name: str, rate: int, batch: int, seconds: float) -> float:
    """Runs ``job`` (``name``) for ``seconds`` at the operators' ``rate`` in batches of ``batch``;
    the rate it published then."""
    store.migctl.run(name, "rate", str(rate), "--reason", "test")
    store.migctl.run(name, "batch", str(batch), "--reason", "test")
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        assert job.step()
    job.migrator.client.flush()
    return rate_gauge(store, "backfill.rate" if name == "backfill" else "verify.full.rate")


@pytest.fixture
def world(store):
    world = World(store)
    yield world
    world.client.shutdown()


def test_the_backfill_publishes_its_rate_and_status_reads_it(world, store):
    world.old.rows.update({f"k{i:04d}": i for i in range(1000)})
    world.phase("backfill")
    backfill = Backfill(world.migrator)
    published = steered(store, backfill, "backfill", rate=200, batch=20, seconds=1.6)   # 20 rows every 0.1 s
    assert 120 < published < 230, f"about the operator's 200 rows a second (less on a loaded machine): {published}"
    status = store.migctl.json("backfill", "status")
    assert status["pace"] == "running" and status["rowsPerSecond"] == pytest.approx(published)
    assert status["etaSeconds"] == math.ceil(status["remaining"] / status["rowsPerSecond"])

    backfill.pause()   # the application's own pause: 6 s measured would pull the rate below 140
    assert not backfill.step()
    time.sleep(6)
    backfill.resume()
    assert backfill.step()
    world.client.flush()
    assert rate_gauge(store, "backfill.rate") == pytest.approx(published, rel=0.15), "the pause is not measured"

    store.migctl.run("backfill", "rate", "0", "--reason", "test")
    while backfill.step():
        pass
    world.client.flush()
    assert rate_gauge(store, "backfill.rate") == 0, "0 once finished"
    done = store.migctl.json("backfill", "status")
    assert done["pace"] == "done" and "rowsPerSecond" not in done and "etaSeconds" not in done, done
    text = store.migctl.run("backfill", "status").stdout
    assert "1000 of 1000 rows copied (100.0%), done at" in text, text


def test_the_verifier_publishes_its_rate_too(world, store):
    world.old.rows.update({f"k{i:04d}": i for i in range(600)})
    world.new.rows.update({f"k{i:04d}": Stored(i) for i in range(600)})
    world.phase("backfill")
    verifier = Verifier(world.migrator)
    assert 180 < steered(store, verifier, "verify", rate=300, batch=30, seconds=1.3) < 345
    status = store.migctl.json("verify", "status")
    assert status["pace"] == "running" and status["rowsPerSecond"] > 0, status
    assert "rows checked" in store.migctl.run("verify", "status").stdout
