#!/usr/bin/env python3
"""Per-call cost, in CPython, of migctl_client's Client.route() and Counter.add() beside
LaunchDarkly's Python server SDK variation() on the same machine (issue 15, "Benchmark").

Run it through scripts/bench-python, which makes a virtual environment with this package and
launchdarkly-server-sdk in it (nothing is installed into the system Python):

    scripts/bench-python [--quick] [--json FILE]

What runs:
- A real SQLite control database, made by the real binary in a temporary folder:
  `migctl init --name users-v2`, then `migctl advance --rollout 25 --force` so that a ramp is in
  progress (dual-write at 25%): route() then returns the current phase for a quarter of the keys
  and the previous phase for the rest. `Client(db)` reads it with its refresher and flusher
  threads running, as in a service.
- migctl route, C hash: `client.route(key)` as installed (migctl_client.ACCELERATED).
- migctl route, Python hash: `client.route(key)` on a second Client whose `_bucket_of` was
  replaced by `migctl_client._bucketing.hasher(salt, accelerated=False)`: the real route() with
  the pure-Python hash an installation without a C compiler gets.
- The hash alone (`_bucket_of(key)`, both kinds), to show what route() adds around it.
- `hit.add()` on a kept `client.counter("hit")` handle, and `client.counter("hit").add()` by name.
- LaunchDarkly: an `LDClient` on LaunchDarkly's own `TestData` data source
  (`Config(sdk_key, update_processor_class=td, send_events=False)`, offline left False, so
  the flags come from TestData and no event is queued or sent). The flag is boolean and serves
  True to 25% of contexts by a percentage rollout on its fallthrough. TestData's FlagBuilder has
  no percentage rollouts (its docstring says so), so a FlagBuilder subclass adds the rollout to
  the flag it builds; the flag still travels TestData -> the SDK's feature store -> its
  evaluator, exactly as a dashboard flag would. A plain TestData boolean flag (one variation
  for everyone) is timed too, for reference.
  `ld.variation(flag, context, False)` is timed with a `Context` per key built before the timed
  loop, and with `Context.create(key)` inside the loop (the usual request-handler shape).

Each figure is a loop over a list of keys (10,000 short `user-N` keys of 6 to 12 characters, and
10,000 UUID strings), run enough passes to last --min-time seconds, repeated --repeat times;
the cases take turns within each round so that noise from the machine falls on all of them.
The figure is the median of the repeats, per call, minus the median of an empty loop over the
same list (printed). The garbage collector stays enabled, as in a service.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FLAG = "users-v2-new-store"
PLAIN_FLAG = "users-v2-plain"
ROLLOUT_PERCENT = 25


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def short_keys(rng: random.Random, n: int) -> list:
    """`user-42` style keys with numbers of 1 to 7 digits: 6 to 12 characters, all distinct."""
    keys, seen = [], set()
    while len(keys) < n:
        key = f"user-{rng.randrange(10 ** rng.randint(1, 7))}"
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


def uuid_keys(rng: random.Random, n: int) -> list:
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]


def migctl(binary: str, *args: str) -> str:
    done = subprocess.run([binary, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench_route: `migctl {' '.join(args)}` exited {done.returncode}: "
                         f"{(done.stderr or done.stdout).strip()}")
    return done.stdout.strip()


def make_database(binary: str, folder: str) -> str:
    db = os.path.join(folder, "migctl.db")
    migctl(binary, "init", "--db", db, "--name", "users-v2", "--actor", "bench")
    migctl(binary, "advance", "--db", db, "--rollout", str(ROLLOUT_PERCENT), "--force",
           "--reason", "benchmark: a ramp in progress", "--actor", "bench")
    return db


def launchdarkly():
    """An LDClient on TestData with the rollout flag and a plain flag; events off."""
    from ldclient import Context, LDClient
    from ldclient.config import Config
    from ldclient.integrations.test_data import FlagBuilder, TestData

    class RolloutFlag(FlagBuilder):
        """A TestData boolean flag whose fallthrough is a percentage rollout (TestData's builder
        has none): True for `percent` of contexts, bucketed by key as LaunchDarkly does."""

        def __init__(self, key: str, percent: int):
            super().__init__(key)
            self.boolean_flag()
            self._percent = percent

        def _build(self, version: int) -> dict:
            flag = super()._build(version)
            weight = self._percent * 1000          # LaunchDarkly weights are out of 100,000
            flag["salt"] = "bench-salt"
            flag["fallthrough"] = {"rollout": {"variations": [
                {"variation": 0, "weight": weight}, {"variation": 1, "weight": 100_000 - weight}]}}
            return flag

    td = TestData.data_source()
    td.update(RolloutFlag(FLAG, ROLLOUT_PERCENT))
    td.update(td.flag(PLAIN_FLAG).boolean_flag().variation_for_all(True))
    config = Config("bench-sdk-key", update_processor_class=td, send_events=False)
    assert not config.offline and not config.send_events
    client = LDClient(config=config)
    if not client.is_initialized():
        raise SystemExit("bench_route: the LaunchDarkly client did not initialise from TestData")
    return client, Context


class Case:
    def __init__(self, name: str, stmt: str, keys: str):
        self.name, self.stmt, self.keys = name, stmt, keys
        self.samples = []   # seconds per iteration, one per round


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--migctl", default=os.path.join(REPO, ".build", "debug", "migctl"),
                        help="the migctl binary that makes the control database (default: .build/debug/migctl)")
    parser.add_argument("--keys", type=int, default=10_000, help="distinct keys per key set (10000)")
    parser.add_argument("--repeat", type=int, default=9, help="rounds; the figure is their median (9)")
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds each case runs per round (0.2)")
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.05 s: proves it runs, judges nothing")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.min_time = 3, 0.05
    if not os.access(args.migctl, os.X_OK):
        raise SystemExit(f"bench_route: no migctl binary at {args.migctl}; run `swift build` first")

    import migctl_client
    from migctl_client import Client
    from migctl_client._bucketing import hasher
    import ldclient

    rng = random.Random(15)
    key_sets = {"short": short_keys(rng, args.keys), "uuid": uuid_keys(rng, args.keys)}

    folder = tempfile.mkdtemp(prefix="migctl-bench-python-")
    clients = []
    ld = None
    try:
        db = make_database(args.migctl, folder)
        client = Client(db)
        clients.append(client)
        py_client = Client(db)
        clients.append(py_client)
        py_client._bucket_of = hasher(py_client.salt, accelerated=False)
        c_hash = client._bucket_of
        py_hash = py_client._bucket_of
        assert client.current.rollout == ROLLOUT_PERCENT * 100, client.current.rollout

        ld, Context = launchdarkly()
        contexts = {name: [Context.create(k) for k in keys] for name, keys in key_sets.items()}

        # The routes and flags are what they claim to be before anything is timed.
        current = client._routing[1]
        checks = []
        for name, keys in key_sets.items():
            routes = [client.route(k) for k in keys]
            assert routes == [py_client.route(k) for k in keys], "the C and Python hashes disagree"
            assert all(migctl_client.bucket("users-v2", k) == c_hash(k) for k in keys[:500])
            share = sum(r is current for r in routes) / len(keys)
            on = sum(ld.variation(FLAG, c, False) for c in contexts[name]) / len(keys)
            detail = ld.variation_detail(FLAG, contexts[name][0], False)
            assert detail.reason["kind"] == "FALLTHROUGH", detail.reason
            assert abs(share - 0.25) < 0.03 and abs(on - 0.25) < 0.03, (share, on)
            checks.append(f"checked    {name} keys: route() gives '{current.phase}' to {share:.1%} (C and Python "
                          f"hashes agree on all {len(keys)}), LaunchDarkly serves True to {on:.1%}")

        hit = client.counter("hit")
        namespace = {"client": client, "py_client": py_client, "c_hash": c_hash, "py_hash": py_hash,
                     "hit": hit, "ld": ld, "Context": Context, "FLAG": FLAG, "PLAIN_FLAG": PLAIN_FLAG}
        for name, keys in key_sets.items():
            namespace[f"keys_{name}"] = keys
            namespace[f"contexts_{name}"] = contexts[name]

        cases = []
        for ks in key_sets:
            cases += [
                Case("empty loop", f"for k in keys_{ks}: pass", ks),
                Case("empty loop over Contexts", f"for c in contexts_{ks}: pass", ks),
                Case("migctl route(), C hash", f"for k in keys_{ks}: client.route(k)", ks),
                Case("migctl route(), pure-Python hash", f"for k in keys_{ks}: py_client.route(k)", ks),
                Case("  the C hash alone", f"for k in keys_{ks}: c_hash(k)", ks),
                Case("  the Python hash alone", f"for k in keys_{ks}: py_hash(k)", ks),
                Case("LaunchDarkly variation(), rollout flag, Context built before the loop",
                     f"for c in contexts_{ks}: ld.variation(FLAG, c, False)", ks),
                Case("LaunchDarkly variation(), rollout flag, Context.create(key) in the loop",
                     f"for k in keys_{ks}: ld.variation(FLAG, Context.create(k), False)", ks),
                Case("LaunchDarkly variation(), plain TestData flag, Context built before",
                     f"for c in contexts_{ks}: ld.variation(PLAIN_FLAG, c, False)", ks),
            ]
        cases += [
            Case("migctl hit.add() (handle kept)", "for k in keys_short: hit.add()", "short"),
            Case('migctl client.counter("hit").add()', 'for k in keys_short: client.counter("hit").add()', "short"),
        ]

        timers = {}
        for case in cases:
            timer = timeit.Timer(case.stmt, setup="gc.enable()", globals={**namespace, "gc": gc})
            once = min(timer.repeat(repeat=3, number=1))           # warm up and size the runs
            timers[case] = (timer, max(1, math.ceil(args.min_time / max(once, 1e-9))))
        load_before = os.getloadavg()
        started = time.monotonic()
        for _ in range(args.repeat):
            for case in cases:
                timer, number = timers[case]
                case.samples.append(timer.timeit(number) / (number * len(key_sets[case.keys])))
        elapsed = time.monotonic() - started
        load_after = os.getloadavg()
    finally:
        for c in clients:
            c.shutdown()
        if ld is not None:
            ld.close()
        shutil.rmtree(folder, ignore_errors=True)

    def median(case: Case) -> float:
        return statistics.median(case.samples)

    empty = {}
    for case in cases:
        if case.name.startswith("empty loop"):
            empty[(case.name, case.keys)] = median(case)

    def net(case: Case) -> float:
        base = "empty loop over Contexts" if case.stmt.startswith("for c in") else "empty loop"
        return median(case) - empty[(base, case.keys)]

    def show(seconds: float) -> str:
        ns = seconds * 1e9
        return f"{ns:.0f} ns" if abs(ns) < 1000 else f"{ns / 1000:.2f} µs"

    ld_version = getattr(ldclient, "__version__", None)
    if ld_version is None:
        from ldclient.version import VERSION as ld_version
    speedups = getattr(sys.modules.get("migctl_client._speedups"), "__file__", None)
    print(f"Python     {platform.python_implementation()} {platform.python_version()} ({sys.executable})")
    print(f"CPU        {cpu_model()}, {os.cpu_count()} logical CPUs; {platform.system()} {platform.release()}")
    print(f"packages   migctl-client {migctl_client.__version__} (ACCELERATED={migctl_client.ACCELERATED}"
          f"{', ' + os.path.basename(speedups) if speedups else ''}), launchdarkly-server-sdk {ld_version}")
    print(f"store      SQLite control database from `{os.path.relpath(args.migctl, REPO)} init --name users-v2`, "
          f"advanced to dual-write at {ROLLOUT_PERCENT}%")
    print(f"method     {args.repeat} rounds x {args.min_time:g} s per case, median per call minus the empty "
          f"loop's median; {args.keys} keys per set; GC on; load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after; {elapsed:.0f} s")
    for line in checks:
        print(line)
    print()
    print("Pure-Python hash: Client.route() on a Client whose _bucket_of is "
          "hasher(salt, accelerated=False) (patched on that instance).")
    print()
    width = max(len(c.name) for c in cases)
    print(f"{'per call':<{width}}  {'short keys':>12}  {'UUID keys':>12}")
    print(f"{'-' * width}  {'-' * 12}  {'-' * 12}")
    results = []
    seen = []
    for case in cases:
        if case.name in seen:
            continue
        seen.append(case.name)
        row = {}
        for ks in key_sets:
            match = next((c for c in cases if c.name == case.name and c.keys == ks), None)
            if match is None:
                row[ks] = None
            elif case.name.startswith("empty loop"):
                row[ks] = median(match)
            else:
                row[ks] = net(match)
        cells = [show(row[ks]) if row[ks] is not None else "—" for ks in key_sets]
        label = case.name + (" (not subtracted)" if case.name.startswith("empty loop") else "")
        print(f"{label:<{width}}  {cells[0]:>12}  {cells[1]:>12}")
        spread = {ks: [min(c.samples) for c in cases if c.name == case.name and c.keys == ks] for ks in key_sets}
        results.append({"case": case.name, "seconds_per_call": row,
                        "fastest_round_gross": {ks: (v[0] if v else None) for ks, v in spread.items()}})
    route_c = next(r for r in results if r["case"].startswith("migctl route(), C"))["seconds_per_call"]
    route_py = next(r for r in results if r["case"].startswith("migctl route(), pure"))["seconds_per_call"]
    ld_best = next(r for r in results if "before the loop" in r["case"])["seconds_per_call"]
    print()
    for ks in key_sets:
        print(f"{ks} keys: LaunchDarkly (Context built before) / route() = "
              f"{ld_best[ks] / route_c[ks]:.0f}x with the C hash, {ld_best[ks] / route_py[ks]:.1f}x with the "
              f"Python hash; goal route() <= 1 µs: {'met' if route_c[ks] <= 1e-6 else 'missed'} (C), "
              f"{'met' if route_py[ks] <= 1e-6 else 'missed'} (Python)")
    if not migctl_client.ACCELERATED:
        print("migctl_client.ACCELERATED is False: the C hash was not built, so the 'C hash' rows measure "
              "the Python hash too.")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"python": platform.python_version(), "cpu": cpu_model(), "cpus": os.cpu_count(),
                       "accelerated": migctl_client.ACCELERATED, "launchdarkly": ld_version,
                       "rounds": args.repeat, "min_time": args.min_time, "keys": args.keys,
                       "load_average": [load_before[0], load_after[0]], "results": results}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
