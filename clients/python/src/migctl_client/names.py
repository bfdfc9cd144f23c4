"""The counter and gauge names migctl gives a meaning to: the Swift client's ``CounterName``
(`Sources/MigrationCore/Plan/CounterName.swift`), one vocabulary for every language; a test
keeps the two lists equal."""

HIT = "hit"
MISS = "miss"
BACKFILL = "backfill"
READ_ABSENT = "read.absent"
READ_OLD = "read.old"
WRITE = "write"
DELETE = "delete"
WRITE_OLD = "write.old"
WRITE_NEW = "write.new"
WRITE_OLD_ERROR = "write.old.error"
WRITE_NEW_ERROR = "write.new.error"
VERIFY_MATCH = "verify.match"
VERIFY_MISMATCH = "verify.mismatch"
#: Keys the full verification (``Verifier``) found as they should be in the new store.
VERIFY_FULL_MATCH = "verify.full.match"
#: Keys the full verification found missing, deleted or different in the new store.
VERIFY_FULL_MISMATCH = "verify.full.mismatch"

#: Every counter above.
ALL = (HIT, MISS, BACKFILL, READ_ABSENT, READ_OLD, WRITE, DELETE, WRITE_OLD, WRITE_NEW, WRITE_OLD_ERROR,
       WRITE_NEW_ERROR, VERIFY_MATCH, VERIFY_MISMATCH, VERIFY_FULL_MATCH, VERIFY_FULL_MISMATCH)

#: The gauges the backfill sets: records in the old store, walked so far, and left to walk.
BACKFILL_TOTAL = "backfill.total"
BACKFILL_DONE = "backfill.done"
BACKFILL_REMAINING = "backfill.remaining"
#: The gauges the full verification sets: keys walked so far in this run, and left to walk.
VERIFY_FULL_DONE = "verify.full.done"
VERIFY_FULL_REMAINING = "verify.full.remaining"
#: The jobs' recent rates, rows walked a second (``RecentRate``), published after each batch.
BACKFILL_RATE = "backfill.rate"
VERIFY_FULL_RATE = "verify.full.rate"

#: Every gauge above.
GAUGES = (BACKFILL_TOTAL, BACKFILL_DONE, BACKFILL_REMAINING, VERIFY_FULL_DONE, VERIFY_FULL_REMAINING, BACKFILL_RATE,
          VERIFY_FULL_RATE)
