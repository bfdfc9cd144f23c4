import Foundation
import MigrationCore

extension MigrationClient {
    /// Writes the pending counts and this instance's heartbeat in one transaction.
    ///
    /// A database that takes no writes now (busy, locked, unreachable) keeps every count for the
    /// next flush: nothing is dropped. A database that takes the heartbeat but refuses a count
    /// has refused the count itself, which no retry can change: that count alone is dropped,
    /// logged and counted in `client.flush.dropped`, and the others are written.
    ///
    /// Flushes run one at a time, so one called by the application returns only once what was
    /// counted before it has been written or kept for later.
    /// - Returns: whether everything pending was written.
    @discardableResult
    public func flush() -> Bool {
        flushing.withLock { _ in flushOnce() }
    }

    private func flushOnce() -> Bool {
        var counts = carried.withLock { carried in
            defer { carried = [:] }
            return carried
        }
        let keptBefore = Set(counts.keys)
        for counter in counters.withLock({ Array($0.values) }) {
            let refused = counter.takeRefused()
            if refused > 0 { report(.negativeCounts(name: counter.name, times: refused)) }
        }
        for counter in counters.withLock({ Array($0.values) }) {
            let value = counter.take()
            if value != 0 { counts[counter.name] = (counts[counter.name] ?? 0).saturatingAdding(value) }
        }
        // The second on the clock that stamps the store's times (a server's), so every host's
        // counts land in the windows the gates read, whatever its own clock says.
        let now = writer.store.now()
        let second = Int64(now.timeIntervalSince1970)
        let heartbeat = running.load(ordering: .relaxed) ? FleetInstance(
            id: instanceID, host: ProcessInfo.processInfo.hostName, pid: Int64(getpid()),
            servingVersion: snapshot.withLock { $0.state.version }, heartbeatAt: now, startedAt: startedAt, stale: isStale) : nil
        guard !foreign.load(ordering: .relaxed) else {
            carry(counts, keptBefore: keptBefore)
            return false
        }
        let store: any ControlStore
        do throws(ControlStoreError) {
            store = try writer.connection().store
            try store.flush(counts: counts, second: second, heartbeat: heartbeat)
        } catch {
            return recover(counts, second: second, heartbeat: heartbeat, keptBefore: keptBefore, after: error)
        }
        writer.succeeded()
        return true
    }

    /// After a failed flush: tells a database that takes no writes from one that refuses some
    /// of these counts, by trying the heartbeat alone, then each count alone. A count that
    /// fails alone for another reason than a refusal is kept and tried alone again, without
    /// holding back the others.
    private func recover(_ counts: [String: Int64], second: Int64, heartbeat: FleetInstance?, keptBefore: Set<String>,
                         after error: ControlStoreError) -> Bool {
        let store: any ControlStore
        do throws(ControlStoreError) {
            // A busy database fails the heartbeat too; trying it alone at once would only wait
            // for the lock again, so that waits for a refusal or a second failure in a row.
            guard !counts.isEmpty, error.refusesData || writer.failuresInARow > 0 else { throw error }
            store = try writer.connection().store
            try store.flush(counts: [:], second: second, heartbeat: heartbeat)
        } catch {
            carry(counts, keptBefore: keptBefore)
            writer.failed()
            report(.flushFailed(error, retryIn: writer.delay(after: flushInterval)))
            return false
        }
        var kept: [String: Int64] = [:]
        var lastError = error
        for (name, value) in counts.sorted(by: { $0.key < $1.key }) {
            do throws(ControlStoreError) {
                try store.add(counts: [name: value], second: second)
            } catch where error.refusesData {
                report(.countDropped(name: name, value: value, error))
            } catch {
                kept[name] = value
                lastError = error
            }
        }
        guard kept.isEmpty else {
            carry(kept, keptBefore: keptBefore)
            writer.failed()
            report(.flushFailed(lastError, retryIn: writer.delay(after: flushInterval)))
            return false
        }
        writer.succeeded()
        return true
    }

    /// How many counters' counts are kept while the store takes no writes. Counts are kept
    /// summed per counter, so the buffer holds one number per name whatever the outage's length;
    /// this bounds it against an application that makes up counter names.
    public static let carriedNamesLimit = 4096

    /// Keeps `counts` for the next flush; what does not fit is dropped, logged and counted in
    /// `client.flush.dropped`, never in silence. Counters kept before (`keptBefore`) keep their
    /// place, so a long outage drops only counters that are new during it; the client's own
    /// `client.*` counters (a handful) are always kept: they tell of the outage.
    private func carry(_ counts: [String: Int64], keptBefore: Set<String>) {
        let ordered = counts.sorted { a, b in
            (keptBefore.contains(a.key) ? 0 : 1, a.key) < (keptBefore.contains(b.key) ? 0 : 1, b.key)
        }
        // Flushes run one at a time and each takes every kept count first, so `carried` is
        // empty here: what it holds after this is exactly what fits of `counts`.
        let dropped = carried.withLock { carried in
            var dropped: [(String, Int64)] = []
            var names = 0
            for (name, value) in ordered {
                let own = name.hasPrefix("client.")
                guard own || names < Self.carriedNamesLimit else {
                    dropped.append((name, value))
                    continue
                }
                if !own { names += 1 }
                carried[name] = value
            }
            return dropped
        }
        for (name, value) in dropped { report(.carryFull(name: name, value: value)) }
    }

}
