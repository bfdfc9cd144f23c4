import Foundation
import MigrationClient
import MigrationCore

/// The promises a migration must keep, checked against the stores with the traffic stopped.
public struct InvariantReport: Sendable, CustomStringConvertible {
    public var keysChecked = 0
    /// Keys whose value, read the way their phase reads, differs from the last acknowledged write.
    public var lostWrites: [String] = []
    /// Deleted keys that can be read again.
    public var resurrected: [String] = []
    /// Counter totals that disagree with the new store, e.g. `miss 120 ≠ 118 rows copied on read`.
    public var counterMismatches: [String] = []
    public var inconsistentReads = 0

    public var holds: Bool { lostWrites.isEmpty && resurrected.isEmpty && counterMismatches.isEmpty && inconsistentReads == 0 }

    public var description: String {
        guard !holds else { return "invariants hold: \(keysChecked) keys as acknowledged, no deleted key back, counters match the stores" }
        var parts: [String] = []
        if !lostWrites.isEmpty { parts.append("\(lostWrites.count) lost or stale writes (e.g. \(lostWrites.prefix(3).joined(separator: ", ")))") }
        if !resurrected.isEmpty { parts.append("\(resurrected.count) deleted keys came back (e.g. \(resurrected.prefix(3).joined(separator: ", ")))") }
        parts += counterMismatches
        if inconsistentReads > 0 { parts.append("\(inconsistentReads) reads returned something other than the last write") }
        return "INVARIANTS BROKEN: " + parts.joined(separator: "; ")
    }
}

public enum Invariants {
    /// Checks every key the workload knows: its value read with its phase's semantics (without
    /// copying anything) equals the reference model, deleted keys stay deleted, and the copy
    /// counters equal the rows the new store got by copying (see ``copyCounterMismatches(totals:stores:)``).
    public static func check(workload: Workload, stores: DemoStores, client: MigrationClient) throws -> InvariantReport {
        var report = InvariantReport()
        for (key, expected) in workload.reference() {
            report.keysChecked += 1
            let actual = try stores.value(of: key, as: client.route(for: key))
            if actual != expected {
                if expected == nil { report.resurrected.append(key) } else { report.lostWrites.append(key) }
            }
        }
        report.counterMismatches = try copyCounterMismatches(totals: client.store.counterTotals(), stores: stores)
        report.inconsistentReads = workload.inconsistentReads
        return report
    }

    /// `miss` and `backfill` against the rows the new store got that way: never more counted
    /// than copied, and never fewer, except by what services that crashed may have left
    /// uncounted (``DemoStores/reconcileCrashes(fleet:now:)``).
    public static func copyCounterMismatches(totals: [String: Int64], stores: DemoStores) throws -> [String] {
        let rows = try stores.rowsByOrigin()
        let allowed = try stores.uncountedCopiesAllowed()
        return [CounterName.miss, CounterName.backfill].compactMap { origin in
            let counted = totals[origin] ?? 0, copied = Int64(rows[origin] ?? 0), crashes = Int64(allowed[origin] ?? 0)
            guard counted > copied || copied - counted > crashes else { return nil }
            let excuse = crashes > 0 ? " (crashes can explain at most \(crashes))" : ""
            return "\(origin) counted \(counted) but \(copied) rows were copied that way\(excuse)"
        }
    }
}
