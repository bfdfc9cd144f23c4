#!/usr/bin/env python3
"""Feeds `migctl statsd` as services do, with the real clients from PyPI, and prints as JSON
what it sent: the totals the control store must reach, and the lines migctl must not take.

    statsd_feed.py SCENARIO PORT [ARGUMENT]

service    the `statsd` client with prefix myapp.migration: hit, miss (pipelined: several lines per
           packet), backfill, a gauge, and what migctl skips, refuses or ignores
sampled    the `statsd` client sampling at @0.1, @0.3 and @0.5 (it sends only some calls; the
           totals are what it sent divided by the rate), and ten raw `…:1|c|@0.1` packets
dogstatsd  `datadog`'s DogStatsd client with tags, events and service checks
hostile    raw datagrams: empty, binary, NUL, invalid UTF-8, escapes, bad values and rates, a
           packet of 8,000 lines, a 60 KB one; then a valid one
burst      5,000 packets of `myapp.migration.hit:1|c` (or PREFIX + `hit:1|c`: `burst PORT PREFIX`), as
           fast as the socket takes them
"""
import json
import random
import socket
import sys

import statsd

PREFIX = "myapp.migration"


class CountingClient(statsd.StatsClient):
    """The real client; only counts the lines it actually sends (sampling drops some)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent = {}

    def _send(self, data):
        for line in data.split("\n"):
            name = line.split(":", 1)[0]
            self.sent[name] = self.sent.get(name, 0) + 1
        super()._send(data)


def service(port):
    client = statsd.StatsClient("127.0.0.1", port, prefix=PREFIX)
    for _ in range(1000):
        client.incr("hit")
    for _ in range(50):
        with client.pipeline() as pipe:   # one packet of five lines
            for _ in range(5):
                pipe.incr("miss")
    for _ in range(20):
        client.incr("backfill", 500)
    client.gauge("backfill.remaining", 1234)
    for _ in range(5):
        client.timing("read.latency", 3.2)          # skipped: a timer
    client.set("users", "alice")                    # skipped: a set
    client.decr("hit")                              # skipped: a decrement
    client.gauge("backfill.remaining", 5, delta=True)   # skipped: a relative gauge
    for _ in range(3):
        client.incr("made.up.name")                 # refused: not allowed
    client.incr("Hit")                              # invalid: not a migctl name
    other = statsd.StatsClient("127.0.0.1", port, prefix="otherapp")
    for _ in range(7):
        other.incr("hit")                           # ignored: outside the prefix
    return {"counts": {"hit": 1000, "miss": 250, "backfill": 10000}, "gauges": {"backfill.remaining": 1234},
            "skipped": 8, "refused": 3, "invalid": 1, "ignored": 7}


def sampled(port):
    random.seed(7)   # the client samples with random.random(); seeded, the run is the same each time
    client = CountingClient("127.0.0.1", port, prefix=PREFIX)
    for _ in range(2000):
        client.incr("hit", 1, rate=0.1)
    for _ in range(3000):
        client.incr("miss", 1, rate=0.3)
    for _ in range(1000):
        client.incr("backfill", 3, rate=0.5)
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(10):
        raw.sendto(b"myapp.migration.verify.match:1|c|@0.1", ("127.0.0.1", port))
    sent = {name[len(PREFIX) + 1:]: n for name, n in client.sent.items()}
    # Whole counts only: migctl keeps a fraction below one until more makes it whole.
    return {"counts": {"hit": sent["hit"] * 10, "miss": sent["miss"] * 10 // 3, "backfill": sent["backfill"] * 6,
                       "verify.match": 100},
            "sent": sent}


def dogstatsd(port):
    from datadog.dogstatsd.base import DogStatsd
    client = DogStatsd(host="127.0.0.1", port=port, namespace=PREFIX, disable_telemetry=True,
                       constant_tags=["env:test"])
    backfills = []
    send = client._send

    def counting(payload, *args, **kwargs):   # the client samples at random: count the backfill lines it sends
        backfills.extend(line for line in payload.split("\n") if line.startswith(PREFIX + ".backfill:"))
        return send(payload, *args, **kwargs)

    client._send = counting
    users = ["migration:users"]
    for _ in range(300):
        client.increment("hit", tags=users)
    for _ in range(40):
        client.increment("miss", 2, tags=users + ["canary"])
    for _ in range(100):
        client.increment("backfill", 10, sample_rate=0.5, tags=users)   # '|@0.5': each sent line counts 20
    client.gauge("backfill.remaining", 77, tags=users)
    client.histogram("read.latency", 3, tags=users)                    # skipped
    client.distribution("read.latency", 3, tags=users)                 # skipped
    client.event("deploy", "v2 is out", tags=users)                    # skipped: an event
    client.service_check("db.up", 0, tags=users)                       # skipped: a service check
    for _ in range(9):
        client.increment("hit", tags=["migration:orders"])             # ignored: another migration
    for _ in range(4):
        client.increment("hit")                                        # ignored: no migration tag
    client.flush()
    return {"counts": {"hit": 300, "miss": 80, "backfill": 20 * len(backfills)}, "gauges": {"backfill.remaining": 77},
            "skipped": 4, "ignored": 13, "sample": backfills[:1]}


def hostile(port):
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    address = ("127.0.0.1", port)
    invalid = [
        b"",                                        # an empty packet
        bytes(range(256)),                          # every byte value: no ':' before the first '\n'... see below
        b"hit\x00:1|c",                             # NUL in the name
        b"\xff\xfe\xfd:1|c",                        # invalid UTF-8 in the name
        b"\x1b]0;owned\x07hit:1|c",                 # a terminal escape in the name
        b"hit:1\x00|c", b"hit:nan|c", b"hit:inf|c", b"hit:-inf|c", b"hit:1e400|c", b"hit:0x10|c",
        b"hit:99999999999999999999|c",              # above 2^53
        b"hit:1|c|@0", b"hit:1|c|@2", b"hit:1|c|@abc", b"hit:1|c|@-0.5", b"hit:1|c|@",
        b"hit", b"hit:1", b"hit:1|zz", b"hit:1|c|??", b":1|c",
    ]
    # bytes(range(256)) holds one '\n' (10): two lines, b"\x00…\x09" (no ':') and b"\x0b…\xff" (':' at 58,
    # then a type of 131 bytes): two invalid lines in one packet.
    expected_invalid = len(invalid) + 1
    for packet in invalid:
        raw.sendto(packet, address)
    raw.sendto(b"hit:-5|c", address)                # skipped: a decrement
    raw.sendto(b"\n".join([b"hit:1|c"] * 8000), address)    # 8,000 lines (64 KB, as much as a datagram holds), all counted
    raw.sendto(b"miss:1|c\n" + b"x" * 60000, address)       # a 60 KB packet: one line counted, one invalid
    expected_invalid += 1
    raw.sendto(b"backfill:5|c", address)            # it still counts afterwards
    return {"counts": {"hit": 8000, "miss": 1, "backfill": 5}, "invalid": expected_invalid, "skipped": 1}


def burst(port, prefix=PREFIX + "."):
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    line = (prefix + "hit:1|c").encode()
    for _ in range(5000):
        raw.sendto(line, ("127.0.0.1", port))
    return {"counts": {"hit": 5000}}


if __name__ == "__main__":
    scenario, port = sys.argv[1], int(sys.argv[2])
    print(json.dumps(globals()[scenario](port, *sys.argv[3:])), flush=True)
