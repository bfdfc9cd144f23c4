import Foundation
import MigrationCore

/// How far the migration has come, as the console's Progress line and `migctl status --watch`
/// both show it: records migrated out of the backfill's total, the copy rate and the ETA it
/// gives, and the hit ratio of reads over the chart's window.
///
/// One derivation for every place that shows it, so a log line and the dashboard never
/// disagree: the backfill's figures come from its gauges (`backfill.done`, `backfill.total`),
/// the rate from the misses and backfill copies of the last quarter of the window, the hit
/// ratio from hits and misses over the whole window.
///
/// ```swift
/// let figures = ProgressFigures(data)          // from a console snapshot
/// print(figures.parts.joined(separator: " · ")) // migrated 1,234/10,000 12.3% · 950/s · ETA 9m 14s · hit ratio 97.0% over 15m
/// ```
public struct ProgressFigures: Sendable, Equatable {
    /// What the backfill reported through its gauges.
    public struct Backfill: Sendable, Equatable {
        /// Records walked so far.
        public var done: Double
        /// Records in all.
        public var total: Double
    }

    /// The backfill's figures; nil until it reports a total above zero.
    public var backfill: Backfill?
    /// Records copied (misses and backfill copies) since `init`, shown while there is no backfill total.
    public var copied: Int64
    /// Records copied per second over the last quarter of the window.
    public var copyRate: Double
    /// Hits and misses counted over the window.
    public var hits: Int64
    public var misses: Int64
    /// The window the rate and the hit ratio are taken over.
    public var window: ChartWindow

    /// The figures of the counters' `totals`, the `gauges` and the `traffic` series read over `window`.
    public init(totals: [String: Int64], gauges: [Gauge], traffic: CounterSeries, window: ChartWindow) {
        func gauge(_ name: String) -> Double? { gauges.first { $0.name == name }?.value }
        if let total = gauge("backfill.total"), total > 0 {
            backfill = Backfill(done: gauge("backfill.done") ?? 0, total: total)
        }
        copied = (totals[CounterName.miss] ?? 0).saturatingAdding(totals[CounterName.backfill] ?? 0)
        copyRate = Self.recentCopyRate(traffic)
        hits = traffic.values[CounterName.hit]?.saturatingSum ?? 0
        misses = traffic.values[CounterName.miss]?.saturatingSum ?? 0
        self.window = window
    }

    /// The figures of a console snapshot.
    public init(_ data: ConsoleData) {
        self.init(totals: data.totals, gauges: data.gauges, traffic: data.traffic, window: data.window)
    }

    /// The share of the backfill done, 0...1, or nil without a backfill total.
    public var share: Double? { backfill.map { min(1, max(0, $0.done / $0.total)) } }

    /// Seconds until the backfill is done at the recent rate, or nil without a total or a rate.
    public var etaSeconds: Double? {
        guard let backfill, copyRate > 0 else { return nil }
        return max(0, backfill.total - backfill.done) / copyRate
    }

    /// Hits over hits and misses in the window, or nil when no read was counted.
    public var hitRatio: Double? {
        hits > 0 || misses > 0 ? Double(hits) / (Double(hits) + Double(misses)) : nil
    }

    /// The figures in words, in the order the console shows them:
    /// `migrated 1,234/10,000 12.3%`, `950/s`, `ETA 9m 14s`, `hit ratio 97.0% over 15m`.
    public var parts: [String] {
        var parts: [String] = []
        if let backfill, let share {
            parts.append("migrated \(Format.count(Int64(clamping: backfill.done)))/\(Format.count(Int64(clamping: backfill.total))) \(Format.percent(share))")
            if let etaSeconds {
                parts.append("\(Format.compact(copyRate))/s")
                parts.append("ETA \(Format.duration(etaSeconds))")
            }
        } else {
            parts.append("copied \(Format.count(copied)) (no backfill.total gauge yet)")
        }
        if let hitRatio {
            parts.append("hit ratio \(Format.percent(hitRatio)) over \(window.label)")
        } else {
            parts.append("no reads counted over \(window.label)")
        }
        return parts
    }

    /// Records copied per second (misses + backfill) over the last quarter of the series' slots.
    static func recentCopyRate(_ series: CounterSeries) -> Double {
        let count = series.values[CounterName.miss]?.count ?? 0
        let recent = max(1, count / 4)
        let copied = [CounterName.miss, CounterName.backfill].map { series.values[$0]?.suffix(recent).saturatingSum ?? 0 }.saturatingSum
        return Double(copied) / (Double(recent) * Double(max(1, series.slotSeconds)))
    }
}
