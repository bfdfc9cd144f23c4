"""The client on the PostgreSQL control store, as an application login (``<schema>_app``):
changes heard by LISTEN/NOTIFY, counts by ``add_counts`` with the heartbeat, a killed
connection survived, and what it cannot use said in one sentence."""
from __future__ import annotations

import socket
import time

import pytest

from conftest import wait_for
from migctl_client import Client, MigctlClientError


def totals(postgres, schema: str) -> dict:
    return dict(postgres.sql(f"SELECT name, sum(value)::bigint FROM {schema}.counter_totals GROUP BY name"))


def schema_of(url: str) -> str:
    return url.rsplit("schema=", 1)[1]


def test_a_rollout_is_heard_at_once_and_counts_land_with_the_heartbeat(postgres, postgres_store):
    migctl, app_url = postgres_store
    schema = schema_of(app_url)
    migctl.advance(rollout=0)
    with Client(app_url, flush_interval=0.1) as client:
        assert (client.current.phase, client.current.version) == ("dual-write", 2)
        assert client.route("user-1").phase == "old-only"   # bucket 1826, outside 0%
        for _ in range(3):   # the state is re-read every 5 s without a notification: this proves one
            percent = {0: 25, 2500: 50, 5000: 75}[client.current.rollout]
            started = time.monotonic()
            migctl.rollout(percent)
            wait_for(lambda: client.current.rollout == percent * 100, timeout=3, message="the notification heard")
            assert time.monotonic() - started < 3
        assert client.route("user-1").phase == "dual-write"
        client.count("hit", 40)
        client.count("miss", 2)
        client.gauge("backfill.remaining", 7)
        login = app_url.split("//", 1)[1].split("@", 1)[0]
        wait_for(lambda: postgres.sql(f"SELECT id, login, serving_version, stale FROM {schema}.instances")
                 == [(client.instance_id, login, 5, False)], message="the heartbeat at version 5, with the login")
        wait_for(lambda: totals(postgres, schema) == {"hit": 40, "miss": 2}, message="the counts")
        assert postgres.sql(f"SELECT value FROM {schema}.gauges") == [(7.0,)]
    assert postgres.sql(f"SELECT count(*) FROM {schema}.instances") == [(0,)], "shutdown leaves the fleet"


def test_counts_are_bucketed_by_the_servers_clock(postgres, postgres_store):
    migctl, app_url = postgres_store
    schema = schema_of(app_url)
    with Client(app_url, flush_interval=0.1) as client:
        client.count("hit")
        wait_for(lambda: totals(postgres, schema).get("hit") == 1, message="the count")
        ((second, now),) = postgres.sql(f"SELECT second, extract(epoch FROM now())::bigint FROM {schema}.counters")
        assert abs(second - now) <= 2


def test_a_killed_connection_is_replaced_and_nothing_is_lost_or_doubled(postgres, postgres_store, caplog):
    migctl, app_url = postgres_store
    schema = schema_of(app_url)
    login = app_url.split("//", 1)[1].split("@", 1)[0]
    with Client(app_url, flush_interval=0.05) as client:
        for round in range(3):
            client.count("hit", 100)
            wait_for(lambda: postgres.sql("SELECT count(*) FROM pg_stat_activity WHERE usename = %s", login) == [(1,)],
                     timeout=15, message="the client connected")
            killed = postgres.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = %s", login)
            assert killed == [(1,)]
            client.count("hit", 100)
            if round == 0:
                migctl.advance(rollout=10)   # changed while the client reconnects
        wait_for(lambda: client.current.phase == "dual-write", timeout=15, message="the change made meanwhile")
        wait_for(lambda: totals(postgres, schema).get("hit") == 600, timeout=15, message="every count, once")
        assert client.route("user-1").phase in ("old-only", "dual-write")
    assert totals(postgres, schema).get("hit") == 600
    assert "client.flush.error" in totals(postgres, schema) or "client.refresh.error" in totals(postgres, schema)


def test_a_hostile_state_keeps_the_last_good_one(postgres, postgres_store, caplog):
    migctl, app_url = postgres_store
    schema = schema_of(app_url)
    with Client(app_url) as client:
        postgres.sql(f"ALTER TABLE {schema}.state DISABLE TRIGGER ALL")
        postgres.sql(f"UPDATE {schema}.state SET phase = 'nowhere', version = version + 1")
        postgres.sql(f"NOTIFY {schema}_changes, 'anything at all'")
        wait_for(lambda: client.refresh_errors == 1, message="the bad row noticed")
        assert client.route("user-1").phase == "old-only" and client.current.version == 1
        assert "a phase the plan does not have" in caplog.text


def test_what_it_cannot_use_is_one_sentence(postgres, postgres_store):
    _, app_url = postgres_store
    with pytest.raises(MigctlClientError, match="no migctl control store in schema t_nothere"):
        Client(app_url.rsplit("schema=", 1)[0] + "schema=t_nothere")
    with pytest.raises(MigctlClientError, match="is not a migctl schema name"):
        Client(app_url.rsplit("schema=", 1)[0] + "schema=Robert%27);DROP")
    with socket.socket() as held:   # bound, never listening: the connection is refused at once
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        with pytest.raises(MigctlClientError, match=r"cannot connect to postgresql://svc:\*\*\*@127.0.0.1:\d+/ops\?schema=users_v2: .*Connection refused"):
            Client(f"postgresql://svc:secret@127.0.0.1:{port}/ops?schema=users_v2")
        try:
            Client(f"postgresql://svc:secret@127.0.0.1:{port}/ops?schema=users_v2")
        except MigctlClientError as error:
            assert "secret" not in str(error), "a password is never printed"
