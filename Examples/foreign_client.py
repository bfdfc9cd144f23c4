#!/usr/bin/env python3
"""A migctl client in another language, written from the README's contract alone.

    foreign_client.py DB VECTORS.json   reads the state in one transaction, checks every
                                        shared bucketing vector, routes a key, and adds to
                                        two counters through the saturating counter_add view.

Only the standard library: sqlite3 and json. It opens the file without ever creating it
(mode=rw), refuses a schema version it does not know, and writes in BEGIN IMMEDIATE
transactions, as the contract asks.
"""
import json
import sqlite3
import sys
import time
import urllib.parse

MASK = (1 << 64) - 1
KNOWN_SCHEMA = 5


def bucket(salt: str, key: str) -> int:
    h = 0xCBF29CE484222325
    # Keys are hashed as their UTF-8 bytes, unnormalised; invalid UTF-8 is not accepted.
    for byte in (salt + ":" + key).encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001B3) & MASK
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK
    h ^= h >> 33
    return h % 10000


def open_control(path: str) -> sqlite3.Connection:
    """Opens an existing control database; never creates one at a wrong path."""
    uri = "file:" + urllib.parse.quote(path) + "?mode=rw"
    db = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version != KNOWN_SCHEMA:
        raise SystemExit(f"unknown schema version {version}; this client reads {KNOWN_SCHEMA}")
    return db


def read_state(db: sqlite3.Connection):
    """The migration, the plan and the state, read in one transaction so they agree."""
    db.execute("BEGIN")
    try:
        (name,) = db.execute("SELECT name FROM migration WHERE id = 1").fetchone()
        phases = db.execute("SELECT id, reads, writes FROM phases ORDER BY position").fetchall()
        phase, rollout, version = db.execute("SELECT phase, rollout, version FROM state WHERE id = 1").fetchone()
    finally:
        db.execute("COMMIT")
    return name, phases, phase, rollout, version


def route(salt: str, phases, phase: str, rollout: int, key: str):
    """The phase a key gets: the current one inside the rollout, the previous one outside."""
    ids = [p[0] for p in phases]
    current = ids.index(phase)
    position = current if bucket(salt, key) < rollout or current == 0 else current - 1
    pid, reads, writes = phases[position]
    return pid, reads, writes.split(",")


def main(path: str, vectors_path: str) -> None:
    db = open_control(path)
    name, phases, phase, rollout, version = read_state(db)
    print(f"migration={name} phase={phase} rollout={rollout} version={version}")

    vectors = json.load(open(vectors_path))["cases"]
    wrong = [c for c in vectors if bucket(c["salt"], c["key"]) != c["bucket"]]
    print(f"vectors={len(vectors)} wrong={len(wrong)}")

    second = int(time.time())
    db.execute("BEGIN IMMEDIATE")
    try:
        for counter, amount in (("hit", 40), ("miss", 2)):
            db.execute("INSERT INTO counter_add (name, second, value) VALUES (?, ?, ?)", (counter, second, amount))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    pid, reads, writes = route(name, phases, phase, rollout, "user-1")
    print(f"key user-1 in rollout: {bucket(name, 'user-1') < rollout}; routed as {pid}: reads {reads}, writes {writes}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
