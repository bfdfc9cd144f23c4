#!/usr/bin/env python3
"""A migctl client in another language, written from the README's contract alone.

    foreign_client.py DB VECTORS.json   reads the phase and rollout, checks every shared
                                        bucketing vector, and adds to two counters.

Only the standard library: sqlite3 and json.
"""
import json
import sqlite3
import sys
import time

MASK = (1 << 64) - 1


def bucket(salt: str, key: str) -> int:
    h = 0xCBF29CE484222325
    for byte in (salt + ":" + key).encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001B3) & MASK
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK
    h ^= h >> 33
    return h % 10000


def main(path: str, vectors_path: str) -> None:
    db = sqlite3.connect(path, timeout=10)
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version != 1:
        raise SystemExit(f"unknown schema version {version}")
    (name,) = db.execute("SELECT name FROM migration WHERE id = 1").fetchone()
    phase, rollout, state_version = db.execute("SELECT phase, rollout, version FROM state WHERE id = 1").fetchone()
    print(f"migration={name} phase={phase} rollout={rollout} version={state_version}")

    vectors = json.load(open(vectors_path))["cases"]
    wrong = [c for c in vectors if bucket(c["salt"], c["key"]) != c["bucket"]]
    print(f"vectors={len(vectors)} wrong={len(wrong)}")

    second = int(time.time())
    with db:
        for counter, amount in (("hit", 40), ("miss", 2)):
            db.execute(
                "INSERT INTO counters (name, second, value) VALUES (?, ?, ?) "
                "ON CONFLICT (name, second) DO UPDATE SET value = value + excluded.value",
                (counter, second, amount),
            )
    print(f"key user-1 in rollout: {bucket(name, 'user-1') < rollout}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
