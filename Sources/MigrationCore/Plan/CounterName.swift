/// The counters migctl reports and reads: one vocabulary, so the client that counts, the
/// plans that gate on them and the console that charts them agree on every name.
///
/// Counters are free-form names in the control database (any name matching
/// ``Names/isValidMetricName(_:)`` may be counted); these are the ones migctl's own code
/// gives a meaning to.
///
/// ```swift
/// client.count(CounterName.hit)
/// CounterCheck(numerator: [CounterName.miss], denominator: [CounterName.hit, CounterName.miss], ...)
/// ```
public enum CounterName {
    /// A read of a phase that reads the new store found the record there.
    public static let hit = "hit"
    /// A read fell back to the old store and copied the record into the new one.
    public static let miss = "miss"
    /// Records the backfill copied.
    public static let backfill = "backfill"
    /// A read that found the key in neither store.
    public static let readAbsent = "read.absent"
    /// A read answered by the old store alone (in phases that read only the old store).
    public static let readOld = "read.old"
    /// Write requests (updates and inserts), whatever their route.
    public static let write = "write"
    /// Delete requests, whatever their route.
    public static let delete = "delete"
    /// Writes and deletes the old store took as the primary store.
    public static let writeOld = "write.old"
    /// Writes and deletes the new store took as the primary store.
    public static let writeNew = "write.new"
    /// Best-effort writes to the old store (as secondary) that failed.
    public static let writeOldError = "write.old.error"
    /// Best-effort writes to the new store (as secondary) that failed.
    public static let writeNewError = "write.new.error"
    /// Reads that compared both stores while the old one is authoritative and found them equal.
    public static let verifyMatch = "verify.match"
    /// Reads that compared both stores and found them different.
    public static let verifyMismatch = "verify.mismatch"

    /// Keys the full verification (``Verifier``) walked and found as they should be in the new store.
    public static let verifyFullMatch = "verify.full.match"
    /// Keys the full verification found missing, deleted or different in the new store.
    public static let verifyFullMismatch = "verify.full.mismatch"

    /// Every counter above, for what accepts migctl's own vocabulary by default (`migctl statsd`).
    public static let all = [
        hit, miss, backfill, readAbsent, readOld, write, delete, writeOld, writeNew, writeOldError, writeNewError, verifyMatch, verifyMismatch,
        verifyFullMatch, verifyFullMismatch,
    ]

    /// The gauges the backfill sets: records in the old store, walked so far, and left to walk.
    public static let backfillTotal = "backfill.total"
    public static let backfillDone = "backfill.done"
    public static let backfillRemaining = "backfill.remaining"
    /// The gauges the full verification sets: keys walked so far in this run, and left to walk.
    public static let verifyFullDone = "verify.full.done"
    public static let verifyFullRemaining = "verify.full.remaining"
    /// The jobs' recent rates, rows walked a second (``RecentRate``), published after each batch.
    public static let backfillRate = "backfill.rate"
    public static let verifyFullRate = "verify.full.rate"
}
