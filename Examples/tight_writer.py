#!/usr/bin/env python3
"""A foreign writer in a tight loop, for contention tests and the benchmark.

    tight_writer.py DB STOPFILE    adds 1 to the counter 'foreign' in its own BEGIN IMMEDIATE
                                   transaction, as fast as it can, until STOPFILE exists
                                   (or 300 s pass).
"""
import os
import sqlite3
import sys
import time

db_path, stop = sys.argv[1], sys.argv[2]
db = sqlite3.connect("file:" + db_path + "?mode=rw", uri=True, isolation_level=None, timeout=30)
deadline = time.time() + 300
while not os.path.exists(stop) and time.time() < deadline:
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO counter_add VALUES ('foreign', CAST(strftime('%s','now') AS INTEGER), 1)")
    db.execute("COMMIT")
