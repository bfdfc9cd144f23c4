#!/usr/bin/env python3
"""A migctl client in another language on the PostgreSQL control store, written from the
README's contract alone (its sections on the control database and on PostgreSQL).

    foreign_client_postgres.py URL VECTORS.json [SECONDS]

URL is migctl's `--db` URL of an application login (a member of `<schema>_app`), e.g.
`postgresql://svc@db.internal/ops?schema=users_v2`. The client

- checks `<schema>.schema_version`, reads `migration`, `phases` and `state` in one
  transaction and prints `migration=… phase=… rollout=… version=…`;
- checks every shared bucketing vector and routes a few keys;
- LISTENs on `<schema>_changes`, prints `listening on CHANNEL`, waits at most SECONDS
  (default 30) for the notification of a state change (a `migctl rollout` elsewhere sends
  one, after its audit row's), prints each that arrives and re-reads the state;
- adds to two counters with `add_counts` and heartbeats (upserts its `instances` row) in one
  transaction, reads its row back, then leaves the fleet (deletes the row);
- tries a state change, as the README describes one, and expects the server to refuse it
  (an application login is not an operator): it prints the refusal and exits 0, or exits 1
  if the change was allowed (it is rolled back then, so nothing changes either way).

Only psycopg 3 (`pip install 'psycopg[binary]'`; scripts/setup installs it) and the standard
library. The one connection is in autocommit mode, so that notifications arrive while it
waits; each group of statements that must agree or land together is one explicit transaction.
"""
import json
import os
import secrets
import socket
import sys
import time
import urllib.parse

import psycopg
from psycopg import sql

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


def split_url(url: str):
    """migctl's URL without its own `schema` parameter, which libpq does not know, and the schema."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise SystemExit("the URL must start with postgresql:// or postgres://")
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for name, value in query if name == "schema"]
    rest = [(name, value) for name, value in query if name != "schema"]
    libpq = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(rest, safe="/")))
    return libpq, (schemas[-1] if schemas else "migctl")


def connect(url: str):
    libpq, schema = split_url(url)
    try:
        db = psycopg.connect(libpq, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise SystemExit(f"cannot connect: {error}".strip())
    try:
        row = db.execute(sql.SQL("SELECT version FROM {}.schema_version").format(sql.Identifier(schema))).fetchone()
    except psycopg.errors.UndefinedTable:
        raise SystemExit(f"no migctl control store in schema {schema} (no {schema}.schema_version)")
    if row is None or row[0] != KNOWN_SCHEMA:
        raise SystemExit(f"unknown schema version {row and row[0]}; this client reads {KNOWN_SCHEMA}")
    return db, schema


def read_state(db: psycopg.Connection, schema: str):
    """The migration, the plan and the state, read in one snapshot so they agree."""
    s = sql.Identifier(schema)
    with db.transaction():
        db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        (name,) = db.execute(sql.SQL("SELECT name FROM {}.migration WHERE id = 1").format(s)).fetchone()
        phases = db.execute(sql.SQL("SELECT id, reads, writes FROM {}.phases ORDER BY position").format(s)).fetchall()
        phase, rollout, version = db.execute(
            sql.SQL("SELECT phase, rollout, version FROM {}.state WHERE id = 1").format(s)).fetchone()
    return name, phases, phase, rollout, version


def route(salt: str, phases, phase: str, rollout: int, key: str):
    """The phase a key gets: the current one inside the rollout, the previous one outside."""
    ids = [p[0] for p in phases]
    current = ids.index(phase)
    position = current if bucket(salt, key) < rollout or current == 0 else current - 1
    pid, reads, writes = phases[position]
    return pid, reads, writes.split(",")


def main(url: str, vectors_path: str, seconds: float) -> int:
    sys.stdout.reconfigure(line_buffering=True)   # a test reads the lines as they come
    db, schema = connect(url)
    s = sql.Identifier(schema)
    name, phases, phase, rollout, version = read_state(db, schema)
    print(f"migration={name} phase={phase} rollout={rollout} version={version}")

    with open(vectors_path) as file:
        vectors = json.load(file)["cases"]
    wrong = [c for c in vectors if bucket(c["salt"], c["key"]) != c["bucket"]]
    print(f"vectors={len(vectors)} wrong={len(wrong)}")
    for key in ("user-1", "user-2", "user-42"):
        pid, reads, writes = route(name, phases, phase, rollout, key)
        print(f"key {key} bucket {bucket(name, key)} in rollout: {bucket(name, key) < rollout}; "
              f"routed as {pid}: reads {reads}, writes {writes}")

    # Changes: LISTEN on <schema>_changes, then wait for one notification (a real client also
    # polls the version every 5 s and re-reads after a reconnection, in case one was lost).
    channel = f"{schema}_changes"
    db.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
    print(f"listening on {channel}")
    deadline = time.monotonic() + seconds
    state_changed = False
    while not state_changed:   # a state change sends two: its audit row's, then the state's
        arrived = list(db.notifies(timeout=max(0.0, deadline - time.monotonic()), stop_after=1))
        if not arrived:
            print(f"no state notification on {channel} within {seconds:g} s")
            return 1
        for notification in arrived:   # one wait may bring several
            change = json.loads(notification.payload)   # JSON: parse it, the server chooses the spacing
            print(f"notification on {notification.channel}: {notification.payload} "
                  f"(changed: {' '.join(f'{k}={v}' for k, v in change.items())})")
            state_changed = state_changed or change.get("table") == "state"
    name, phases, phase, rollout, version = read_state(db, schema)
    print(f"re-read: phase={phase} rollout={rollout} version={version}")
    pid, reads, writes = route(name, phases, phase, rollout, "user-1")
    print(f"key user-1 now routed as {pid}: reads {reads}, writes {writes}")

    # Counts and the heartbeat in one transaction, so a crash loses exactly the counts after
    # the last heartbeat. The server stamps started_at and heartbeat_at and the row's login.
    me = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
    with db.transaction():
        db.execute(sql.SQL("SELECT {}.add_counts(%s::text[], %s::bigint, %s::bigint[])").format(s),
                   (["hit", "miss"], int(time.time()), [40, 2]))
        db.execute(sql.SQL("INSERT INTO {}.instances (id, host, pid, serving_version, stale) VALUES (%s, %s, %s, %s, %s) "
                           "ON CONFLICT (id) DO UPDATE SET serving_version = excluded.serving_version, "
                           "stale = excluded.stale").format(s),
                   (me, socket.gethostname(), os.getpid(), version, False))
    login, serving, stale = db.execute(
        sql.SQL("SELECT login, serving_version, stale FROM {}.instances WHERE id = %s").format(s), (me,)).fetchone()
    print(f"added hit=40 miss=2; instance {me} login={login} serving_version={serving} stale={stale}")
    left = db.execute(sql.SQL("DELETE FROM {}.instances WHERE id = %s").format(s), (me,)).rowcount
    print(f"left the fleet: {left} row deleted")

    # A state change as the README describes it; an application login must be refused.
    try:
        with db.transaction() as attempt:
            db.execute(sql.SQL("INSERT INTO {}.audit (host, action, from_phase, to_phase, from_rollout, to_rollout, "
                               "version, reason) VALUES (%s, 'rollout', %s, %s, %s, 10000, %s, %s)").format(s),
                       (socket.gethostname(), phase, phase, rollout, version + 1, "an application must not do this"))
            changed = db.execute(sql.SQL("UPDATE {}.state SET phase = %s, rollout = 10000, version = %s "
                                         "WHERE id = 1 AND version = %s RETURNING version").format(s),
                                 (phase, version + 1, version)).fetchone()
            print(f"state change NOT refused (returned {changed}); rolled back")
            raise psycopg.Rollback(attempt)
    except psycopg.errors.InsufficientPrivilege as error:
        print(f"state change refused: {error.diag.message_primary}")
        return 0
    return 1


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__.split("\n\n")[1])
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3]) if len(sys.argv) == 4 else 30.0))
