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

#: Every counter above.
ALL = (HIT, MISS, BACKFILL, READ_ABSENT, READ_OLD, WRITE, DELETE, WRITE_OLD, WRITE_NEW, WRITE_OLD_ERROR,
       WRITE_NEW_ERROR, VERIFY_MATCH, VERIFY_MISMATCH)

#: The gauges the backfill sets.
BACKFILL_TOTAL = "backfill.total"
BACKFILL_DONE = "backfill.done"
BACKFILL_REMAINING = "backfill.remaining"
