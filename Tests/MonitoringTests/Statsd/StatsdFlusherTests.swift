import Foundation
import MigrationCore
import Monitoring
import Testing
import TestSupport

/// Flushing to a store that is busy, unreachable or refuses some data: nothing lost, nothing
/// written twice. Against a scripted sink, then against a real SQLite file held locked.
struct StatsdFlusherTests {
    /// A sink that fails as told and records what it took.
    final class ScriptedSink: StatsdSink {
        var counts: [String: Int64] = [:]
        var gauges: [String: Double] = [:]
        var seconds: [Int64] = []
        /// The error for the next calls, or nil to take them.
        var failure: ControlStoreError?
        /// Names the store refuses outright.
        var refused: Set<String> = []
        var gaugeFailure: ControlStoreError?

        func now() -> Date { Date(timeIntervalSince1970: 1_800_000_000.75) }

        func add(counts: [String: Int64], second: Int64) throws(ControlStoreError) {
            if let failure { throw failure }
            if let name = counts.keys.first(where: refused.contains) { throw .invalidName(name) }
            for (name, value) in counts { self.counts[name, default: 0] += value }
            seconds.append(second)
        }

        func setGauge(_ name: String, to value: Double, at date: Date) throws(ControlStoreError) {
            if let gaugeFailure { throw gaugeFailure }
            if refused.contains(name) { throw .invalidName(name) }
            gauges[name] = value
        }
    }

    static let busy = ControlStoreError.io(path: "x.db", message: "database is locked")

    @Test func aBusyStoreKeepsEverythingAndTheNextFlushWritesItOnce() {
        let sink = ScriptedSink()
        var flusher = StatsdFlusher()
        #expect(flusher.flush(StatsdWrites(counts: ["hit": 5]), to: sink).written.counts == ["hit": 5])
        #expect(sink.seconds == [1_800_000_000], "stamped with the store's second")

        sink.failure = Self.busy
        let failed = flusher.flush(StatsdWrites(counts: ["hit": 3, "miss": 1], gauges: ["lag": 1]), to: sink)
        #expect(failed.error == Self.busy && failed.written.isEmpty)
        #expect(failed.kept == StatsdWrites(counts: ["hit": 3, "miss": 1], gauges: ["lag": 1]))
        let again = flusher.flush(StatsdWrites(counts: ["hit": 2], gauges: ["lag": 2]), to: sink)
        #expect(again.kept == StatsdWrites(counts: ["hit": 5, "miss": 1], gauges: ["lag": 2]), "merged: counts added, the newer gauge")

        sink.failure = nil
        let recovered = flusher.flush(StatsdWrites(counts: ["hit": 1]), to: sink)
        #expect(recovered.written == StatsdWrites(counts: ["hit": 6, "miss": 1], gauges: ["lag": 2]))
        #expect(recovered.kept.isEmpty && recovered.error == nil && flusher.kept.isEmpty)
        #expect(sink.counts == ["hit": 11, "miss": 1] && sink.gauges == ["lag": 2])
        #expect(flusher.flush(StatsdWrites(), to: sink) == StatsdFlush(), "nothing to write, nothing written")
    }

    @Test func aRefusedCountIsDroppedAloneAndTheOthersAreWritten() {
        let sink = ScriptedSink()
        sink.refused = ["bad", "badgauge"]
        var flusher = StatsdFlusher()
        let flush = flusher.flush(StatsdWrites(counts: ["hit": 1, "bad": 2, "miss": 3], gauges: ["badgauge": 1, "lag": 4]), to: sink)
        #expect(flush.written == StatsdWrites(counts: ["hit": 1, "miss": 3], gauges: ["lag": 4]))
        #expect(flush.dropped == StatsdWrites(counts: ["bad": 2], gauges: ["badgauge": 1]))
        #expect(flush.kept.isEmpty && flusher.kept.isEmpty)
        #expect(sink.counts == ["hit": 1, "miss": 3])
    }

    @Test func aGaugeThatFailsKeepsItselfAndTheGaugesAfterItButNotTheWrittenCounts() {
        let sink = ScriptedSink()
        sink.gaugeFailure = Self.busy
        var flusher = StatsdFlusher()
        let flush = flusher.flush(StatsdWrites(counts: ["hit": 1], gauges: ["a": 1, "b": 2]), to: sink)
        #expect(flush.written == StatsdWrites(counts: ["hit": 1]))
        #expect(flush.kept == StatsdWrites(gauges: ["a": 1, "b": 2]))
        sink.gaugeFailure = nil
        #expect(flusher.flush(StatsdWrites(), to: sink).written == StatsdWrites(gauges: ["a": 1, "b": 2]))
        #expect(sink.counts == ["hit": 1], "the counts were not written twice")
    }

    /// A real SQLite file whose write lock another process holds: the flush fails within the
    /// lock wait, keeps the counts, and writes them exactly once when the lock is let go.
    @Test(.timeLimit(.minutes(1)))
    func aLockedSQLiteFileKeepsTheCountsUntilItIsFree() throws {
        let under = try StoreUnderTest(.sqlite)
        _ = try under.create(by: under.signer("ana"))
        let store = try SQLiteControlStore(path: under.db, lockWait: .milliseconds(200))
        let sink = StatsdStoreSink(store)
        var flusher = StatsdFlusher()
        #expect(flusher.flush(StatsdWrites(counts: ["hit": 1]), to: sink).written.counts == ["hit": 1])

        let holder = try WriteLock(path: under.db)
        let locked = ContinuousClock.now
        let failed = flusher.flush(StatsdWrites(counts: ["hit": 10, "miss": 2]), to: sink)
        #expect(failed.error != nil && failed.kept.counts == ["hit": 10, "miss": 2], "\(String(describing: failed.error))")
        _ = flusher.flush(StatsdWrites(counts: ["hit": 5]), to: sink)
        #expect(ContinuousClock.now - locked < .seconds(3), "each failed flush waits the lock wait (200 ms), not more")
        holder.release()

        #expect(eventually { flusher.flush(StatsdWrites(), to: sink).kept.isEmpty && flusher.kept.isEmpty })
        #expect(try store.counterTotals() == ["hit": 16, "miss": 2])
    }
}
