import Foundation
import MigrationCore

/// How far the migration has come, as the console's Progress line and `migctl status --watch`
/// both show it: records copied out of the backfill's total, what the backfill is doing (its
/// recent rate and the ETA it gives, or paused, throttled, stalled, done), and the hit ratio of
/// reads over the chart's window.
///
/// The backfill's figures are ``JobFigures``, the same `migctl backfill status` and the job
/// line show: from its run in `job_progress` and the rate it publishes (`backfill.rate`, about
/// the last 30 s) when there is a run, else from its gauges (`backfill.done`,
/// `backfill.total`, `backfill.remaining`, `backfill.rate`) for a client that publishes only
/// those. Before the backfill starts the line counts what reads copied (misses, and any
/// backfill copies counted). The hit ratio comes from hits and misses over the whole window.
///
/// ```swift
/// let figures = ProgressFigures(data)          // from a console snapshot
/// print(figures.parts.joined(separator: " · ")) // copied 1,234/10,000 12.3% · 950/s · ETA 9m 14s · hit ratio 97.0% over 15m
/// ```
public struct ProgressFigures: Sendable, Equatable {
    /// The backfill's figures; nil until it records a run or reports a total above zero.
    public var backfill: JobFigures?
    /// Whether the backfill's phase is current (then no figures means waiting for its first batch).
    public var inBackfillPhase: Bool
    /// Whether an operator paused the backfill (said even before it started).
    public var backfillPaused: Bool
    /// Records copied (misses and backfill copies) since init, shown while there are no backfill figures.
    public var copied: Int64
    /// Hits and misses counted over the window.
    public var hits: Int64
    public var misses: Int64
    /// The window the hit ratio is taken over.
    public var window: ChartWindow

    /// The figures of the backfill's `job` snapshot (its control and run, if any), the counters'
    /// `totals`, the `gauges` and the `traffic` series read over `window`, at `now`.
    public init(job: ConsoleData.JobSnapshot?, phase: String, totals: [String: Int64], gauges: [Gauge], traffic: CounterSeries,
                window: ChartWindow, now: Date) {
        func gauge(_ name: String) -> Gauge? { gauges.first { $0.name == name } }
        let control = job?.control ?? .standard
        let rate = gauge(Job.backfill.rateGauge)
        if let progress = job?.progress {
            backfill = JobFigures(progress, control: control, rate: rate, now: now)
        } else if let total = gauge(CounterName.backfillTotal), total.value > 0 {
            let done = gauge(CounterName.backfillDone), remaining = gauge(CounterName.backfillRemaining)
            let walked = Int64(clamping: done?.value ?? 0), all = Int64(clamping: total.value)
            let finished = remaining.map { $0.value == 0 } ?? (walked >= all)
            let reported = [total, done, remaining].compactMap { $0?.updatedAt }.max()
            backfill = JobFigures(done: walked, total: all, finished: finished, reportedAt: reported, throttled: nil,
                                  control: control, rate: rate, now: now)
        }
        inBackfillPhase = phase == "backfill"
        backfillPaused = control.paused
        copied = (totals[CounterName.miss] ?? 0).saturatingAdding(totals[CounterName.backfill] ?? 0)
        hits = traffic.values[CounterName.hit]?.saturatingSum ?? 0
        misses = traffic.values[CounterName.miss]?.saturatingSum ?? 0
        self.window = window
    }

    /// The figures of a console snapshot.
    public init(_ data: ConsoleData) {
        self.init(job: data.jobs.first { $0.job == .backfill }, phase: data.state.phase, totals: data.totals, gauges: data.gauges,
                  traffic: data.traffic, window: data.window, now: data.now)
    }

    /// The share of the backfill done, 0...1, or nil without a backfill total.
    public var share: Double? { backfill?.percent.map { min(1, max(0, $0 / 100)) } }

    /// Hits over hits and misses in the window, or nil when no read was counted.
    public var hitRatio: Double? {
        hits > 0 || misses > 0 ? Double(hits) / (Double(hits) + Double(misses)) : nil
    }

    /// The figures in words, in the order the console shows them:
    /// `copied 1,234/10,000 12.3%`, `950/s`, `ETA 9m 14s` (or `backfill paused`,
    /// `backfill throttled`, `no progress for 2m 10s`, `backfill done`), `hit ratio 97.0% over 15m`.
    public var parts: [String] {
        var parts = backfill.map(Self.backfillParts) ?? [
            "\(Job.backfill.walkedWord) \(Format.count(copied))",
            backfillPaused ? "backfill paused, not started" : inBackfillPhase ? "waiting for the backfill's first batch" : "backfill not started",
        ]
        if let hitRatio {
            parts.append("hit ratio \(Format.percent(hitRatio)) over \(window.label)")
        } else {
            parts.append("no reads counted over \(window.label)")
        }
        return parts
    }

    /// `copied 5,500/8,115 67.8%` and what the backfill is doing.
    static func backfillParts(_ figures: JobFigures) -> [String] {
        let count = Format.count(figures.done) + (figures.total.map { "/\(Format.count($0))" } ?? "")
        guard figures.pace != .done else { return ["\(Job.backfill.walkedWord) \(count)", "backfill done"] }
        let copied = ([Job.backfill.walkedWord, count] + (figures.percent.map { [Format.percent($0 / 100)] } ?? [])).joined(separator: " ")
        switch figures.pace {
        case .paused: return [copied, "backfill paused"]
        case .throttled: return [copied, "backfill throttled"]
        case .running, .stalled, .done: return [copied] + paceWords(figures)
        }
    }

    /// What a running or stalled job is doing, as the Progress line and the job lines say it:
    /// `4.2k/s` and `ETA 1m 2s` (either left out while unknown), or `no progress for 2m 10s`;
    /// nothing for a job that is done, paused or throttled (each line says those its own way).
    static func paceWords(_ figures: JobFigures) -> [String] {
        switch figures.pace {
        case .running:
            return [figures.rowsPerSecond.map { "\(Format.compact($0))/s" }, figures.etaSeconds.map { "ETA \(Format.duration(Double($0)))" }]
                .compactMap { $0 }
        case .stalled:
            return ["no progress for \(Format.duration(figures.silentSeconds ?? 0))"]
        case .done, .paused, .throttled:
            return []
        }
    }
}
