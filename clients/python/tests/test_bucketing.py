"""The bucketing rule: the shared vectors, and agreement with the real ``migctl bucket --db`` for
thousands of varied keys, with the C hash and the pure-Python one; invalid UTF-8 refused by both
sides, as the contract says."""
from __future__ import annotations

import json
import random
import subprocess

import pytest

from conftest import VECTORS, migctl_binary
from migctl_client import ACCELERATED, Client, InvalidKey, bucket
from migctl_client._bucketing import hasher


def vectors():
    return json.loads(VECTORS.read_text())["cases"]


def varied_keys(count: int = 3000):
    """ASCII ids, unicode (both normal forms of é, CJK, emoji, right-to-left), whitespace and
    escapes, keys that look like flags, the empty key, and very long ones."""
    rng = random.Random(15)
    alphabet = ["a", "Z", "0", "-", "_", " ", "\t", "\n", "\\", "é", "e\u0301", "ß", "漢", "字", "🙂", "👩‍👩‍👧",
                "\u05d0", "\u202e", "\u0000"[:0] or "x", "\u00a0", "\u2028", "\ufeff", "𝔘"]
    keys = ["", "-", "--", "-k", "--db", "user-1", "é", "e\u0301", "\U0010ffff", "a" * 10_000, "漢" * 3000]
    keys += [f"user-{i}" for i in range(500)]
    while len(keys) < count:
        keys.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))))
    return keys


def migctl_buckets(db: str, keys):
    """``migctl bucket --db DB --json`` for every key, a few hundred keys per call."""
    out = []
    for start in range(0, len(keys), 400):
        chunk = keys[start:start + 400]
        result = subprocess.run([migctl_binary(), "bucket", "--db", db, "--json", "--", *chunk],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        out += json.loads(result.stdout)
    return out


@pytest.mark.parametrize("accelerated", [True, False], ids=["c-hash", "python-hash"])
def test_every_shared_vector_passes(accelerated):
    cases = vectors()
    assert len(cases) >= 30
    for case in cases:
        assert bucket(case["salt"], case["key"]) == case["bucket"], case
        assert hasher(case["salt"], accelerated=accelerated)(case["key"]) == case["bucket"], case


def test_the_installed_package_has_the_c_hash():
    # pip builds it where a compiler is (scripts/test-python installs the package so); the pure
    # Python hash is what a machine without one gets, and is checked above and below.
    assert ACCELERATED


def test_buckets_and_routes_agree_with_migctl_for_thousands_of_keys(sqlite_store):
    sqlite_store.advance(rollout=37.5)   # dual-write at 37.5%: keys split between two phases
    keys = varied_keys()
    answers = migctl_buckets(sqlite_store.db, keys)
    assert [a["key"] for a in answers] == keys, "migctl read every key back exactly (via --json)"
    python_hash = hasher("users-v2", accelerated=False)
    with Client(sqlite_store.db) as client:
        assert (client.current.phase, client.current.rollout) == ("dual-write", 3750)
        for key, answer in zip(keys, answers):
            assert bucket("users-v2", key) == answer["bucket"], repr(key)
            assert python_hash(key) == answer["bucket"], repr(key)
            route = client.route(key)
            expected = ("dual-write", 2) if answer["in"] else ("old-only", 1)
            assert (route.phase, route.position) == expected, repr(key)
            assert route.writes == (("old", "new") if answer["in"] else ("old",))
        inside = sum(a["in"] for a in answers) / len(answers)
        assert 0.30 < inside < 0.45, "about 37.5% of the keys are inside"


@pytest.mark.parametrize("key", ["a\ud800b", "\udfff", "x" * 50 + "\udc80"])
def test_a_key_that_is_not_utf8_is_refused_not_guessed(sqlite_store, key):
    with pytest.raises(InvalidKey, match="not valid UTF-8"):
        bucket("users-v2", key)
    with Client(sqlite_store.db) as client:
        with pytest.raises(InvalidKey, match="not valid UTF-8"):
            client.route(key)
        with pytest.raises(InvalidKey):
            client.phase(key)
        assert client.route("fine").phase == "old-only", "the client goes on"
    for accelerated in (True, False):
        with pytest.raises(ValueError):   # the raw hashers raise UnicodeEncodeError, a ValueError
            hasher("users-v2", accelerated=accelerated)(key)


def test_migctl_refuses_an_argument_that_is_not_utf8_too(sqlite_store):
    # The same key as bytes on migctl's command line: refused, exit 64, never repaired to U+FFFD.
    result = subprocess.run([migctl_binary(), "bucket", "--db", sqlite_store.db, b"a\xffb"], capture_output=True,
                            timeout=60)
    assert result.returncode == 64, result.stderr
    assert result.stdout == b""
    assert b"not valid UTF-8" in result.stderr


@pytest.mark.parametrize("key", [None, b"user-1", 42, ["user-1"]])
def test_a_key_that_is_not_a_str_is_a_type_error(sqlite_store, key):
    with Client(sqlite_store.db) as client:
        with pytest.raises(TypeError, match="a key is a str"):
            client.route(key)
    with pytest.raises(TypeError):
        bucket("users-v2", key)


def swift_names():
    """CounterName.swift's counters (the names its ``all`` lists) and its other names (the gauges)."""
    import re

    from conftest import REPO
    swift = (REPO / "Sources" / "MigrationCore" / "Plan" / "CounterName.swift").read_text()
    declared = dict(re.findall(r'public static let (\w+) = "([a-z0-9._-]+)"', swift))
    listed = re.search(r"public static let all = \[([^\]]*)\]", swift)
    assert declared and listed, "CounterName.swift still declares its names and its list 'all'"
    counters = [declared[name] for name in re.findall(r"\w+", listed.group(1))]
    return counters, [value for value in declared.values() if value not in counters]


def test_the_counter_and_gauge_names_are_the_swift_clients():
    from migctl_client import names
    counters, gauges = swift_names()
    assert len(counters) >= 15 and len(gauges) >= 5
    where = "clients/python/src/migctl_client/names.py follows CounterName.swift"
    assert sorted(names.ALL) == sorted(counters), where
    assert sorted(names.GAUGES) == sorted(gauges), where
    constants = {value for name, value in vars(names).items() if name.isupper() and isinstance(value, str)}
    assert constants == set(counters) | set(gauges), f"{where}: every name is a counter or a gauge on both sides"
