import Foundation
import MigrationCore

/// Where `migctl statsd` writes once a second: the control store (``StatsdStoreSink``), or a
/// test's double.
public protocol StatsdSink {
    /// The store's clock, whose second stamps the counts (as a client's flush does).
    func now() -> Date
    /// Adds counts to the second's buckets, in one transaction.
    func add(counts: [String: Int64], second: Int64) throws(ControlStoreError)
    func setGauge(_ name: String, to value: Double, at date: Date) throws(ControlStoreError)
}

/// Writes what a ``StatsdBatch`` gathered, and keeps what the store did not take for the next
/// flush, so a busy or unreachable store loses and doubles nothing.
///
/// The counts go in one transaction: all of them are written, or none and all are kept. A
/// store that refuses the data itself (a name or value it never takes) is asked again for each
/// count alone, and only what it refuses is dropped. Gauges are set one by one after the counts;
/// the first that fails for another reason keeps itself and the gauges after it.
///
/// ```swift
/// var flusher = StatsdFlusher()
/// let flush = flusher.flush(batch.takeWrites(), to: sink)   // flush.error: why some were kept
/// ```
///
/// What it keeps is bounded like the batch: one number per allowed name.
public struct StatsdFlusher {
    /// What the last flush could not write, waiting for the next.
    public private(set) var kept = StatsdWrites()

    public init() {}

    /// Writes `new` and whatever was kept, and reports what happened.
    public mutating func flush(_ new: StatsdWrites, to sink: some StatsdSink) -> StatsdFlush {
        var pending = kept
        pending.merge(new)
        kept = StatsdWrites()
        var outcome = StatsdFlush()
        guard !pending.isEmpty else { return outcome }
        let now = sink.now()
        let second = Int64((now.timeIntervalSince1970).rounded(.down))
        if !pending.counts.isEmpty {
            do throws(ControlStoreError) {
                try sink.add(counts: pending.counts, second: second)
                outcome.written.counts = pending.counts
            } catch where error.refusesData {
                outcome.error = error
                for (name, value) in pending.counts.sorted(by: { $0.key < $1.key }) {
                    do throws(ControlStoreError) {
                        try sink.add(counts: [name: value], second: second)
                        outcome.written.counts[name] = value
                    } catch where error.refusesData {
                        outcome.dropped.counts[name] = value
                    } catch {
                        kept.counts[name] = value
                        outcome.error = error
                    }
                }
            } catch {
                // The store takes no writes now: keep everything, gauges included, for the next flush.
                kept = pending
                outcome.error = error
                outcome.kept = kept
                return outcome
            }
        }
        var stalled = false
        for (name, value) in pending.gauges.sorted(by: { $0.key < $1.key }) {
            guard !stalled else {
                kept.gauges[name] = value
                continue
            }
            do throws(ControlStoreError) {
                try sink.setGauge(name, to: value, at: now)
                outcome.written.gauges[name] = value
            } catch where error.refusesData {
                outcome.dropped.gauges[name] = value
                outcome.error = error
            } catch {
                kept.gauges[name] = value
                outcome.error = error
                stalled = true
            }
        }
        outcome.kept = kept
        return outcome
    }
}

/// What one flush did.
public struct StatsdFlush: Sendable, Equatable {
    public var written = StatsdWrites()
    /// Refused by the store itself (never by a busy one): these will never be written.
    public var dropped = StatsdWrites()
    /// Kept for the next flush.
    public var kept = StatsdWrites()
    /// The last error met, if any.
    public var error: ControlStoreError?

    public init() {}
}

/// The control store as a ``StatsdSink``: when the file at its path was replaced (a restored
/// backup), the next write opens a new connection to it. A busy file needs no new connection,
/// and a server's store reconnects by itself.
public final class StatsdStoreSink: StatsdSink {
    private var store: any ControlStore

    public init(_ store: any ControlStore) {
        self.store = store
    }

    public func now() -> Date { store.now() }

    public func add(counts: [String: Int64], second: Int64) throws(ControlStoreError) {
        try using { store throws(ControlStoreError) in try store.add(counts: counts, second: second) }
    }

    public func setGauge(_ name: String, to value: Double, at date: Date) throws(ControlStoreError) {
        try using { store throws(ControlStoreError) in try store.setGauge(name, to: value, at: date) }
    }

    private func using(_ body: (any ControlStore) throws(ControlStoreError) -> Void) throws(ControlStoreError) {
        if store.fileChangeSinceOpening() != nil { store = try store.reopen(readOnly: false) }
        try body(store)
    }
}
