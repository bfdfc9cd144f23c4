import Foundation

/// A job's recent pace: rows walked a second, weighted towards the last 30 seconds, as the job
/// itself measures it. The backfill and the verifier (Swift and Python) publish it after each
/// batch as a gauge (``Job/rateGauge``: `backfill.rate`, `verify.full.rate`; 0 once finished),
/// and every reader takes it through ``published(_:batch:now:)``, the one rule for when a
/// published figure still says something.
///
/// Why the job measures it rather than its readers: only the job knows when it walked rows
/// and when it stood still because it was paused (by an operator, by the application or by the
/// plan's health throttle), so a pause neither drags the rate towards zero nor counts as
/// work. The store holds no series of rows walked (the `backfill` counter counts copies, which
/// are fewer once reads have copied keys, and it lands in the store a flush later), and a
/// one-shot `migctl backfill status` has no history of its own: a figure in the store is the
/// only way for it, the console and `status --watch` to show the same rate.
///
/// The average is exponentially weighted in time with a time constant of 15 s (the last 30 s
/// carry 86% of the weight), each interval between two batches weighing by its length, and it
/// is corrected for its start: until the job has run a while it is about the average since it
/// started, not a figure pulled towards zero. The job passes a monotonic clock
/// (`ContinuousClock`); a reading that goes backwards anyway is not measured, and its rows are
/// carried into the next interval.
///
/// ```swift
/// var recent = RecentRate()
/// recent.resume(at: .now)        // a batch is about to be walked
/// recent.walked(500, at: .now)   // it was; recent.rowsPerSecond once a second was measured
/// recent.pause()                 // paused: the time until the next resume is not measured
/// ```
public struct RecentRate: Sendable, Equatable {
    /// The time constant of the weighting, in seconds.
    public static let timeConstant: Double = 15
    /// What the console and the README call the window: the last 30 s carry most of the weight.
    public static let windowLabel = "30s"
    /// Seconds to measure before giving a rate: one batch in a few milliseconds says little.
    public static let minimumSeconds: Double = 1
    /// The fastest rate a reader believes: the operators' highest rate limit.
    public static let maximumRate = Double(JobControl.rates.upperBound)

    /// Σ rate × weight and Σ weight over the intervals measured, both decayed.
    private var weightedRate: Double = 0
    private var weight: Double = 0
    /// Seconds measured in all (not decayed), for ``minimumSeconds``.
    private var measured: Double = 0
    /// Where the interval being measured began; nil while paused or before the first batch.
    private var since: ContinuousClock.Instant?
    /// Rows walked in an interval that could not be measured (the clock went backwards).
    private var carried: Int64 = 0

    public init() {}

    /// Rows walked a second recently; nil until ``minimumSeconds`` were measured.
    public var rowsPerSecond: Double? {
        guard measured >= Self.minimumSeconds, weight > 0 else { return nil }
        let rate = weightedRate / weight
        return rate.isFinite ? max(0, rate) : nil
    }

    /// The job is about to walk a batch at `now`: measure from here, unless an interval is
    /// already being measured (the time since the last batch counts).
    public mutating func resume(at now: ContinuousClock.Instant) {
        if since == nil { since = now }
    }

    /// The job stands still (paused): the time until the next ``resume(at:)`` is not measured.
    public mutating func pause() {
        since = nil
    }

    /// The job walked `rows` by `now`, since the last batch or ``resume(at:)``.
    public mutating func walked(_ rows: Int, at now: ContinuousClock.Instant) {
        let rows = carried.saturatingAdding(Int64(max(0, rows)))
        guard let start = since else {
            since = now   // never resumed: measure from here; these rows had no interval
            return
        }
        since = now
        let components = (now - start).components
        let seconds = Double(components.seconds) + Double(components.attoseconds) * 1e-18
        guard seconds > 0 else {
            carried = rows
            return
        }
        carried = 0
        let decay = exp(-seconds / Self.timeConstant)
        weightedRate = weightedRate * decay + Double(rows) / seconds * (1 - decay)
        weight = weight * decay + (1 - decay)
        measured += seconds
    }

    /// Forgets everything measured: a new run starts.
    public mutating func reset() {
        self = RecentRate()
    }
}

extension RecentRate {
    /// How long a reader believes a published rate (or a job's last report): three batches'
    /// time at that rate of `batch` rows, at least a minute and at most an hour. A minute
    /// without news from a job that saves every few seconds means it stands still; a job held
    /// to 5 rows a second in batches of 500 saves every 100 s and is not stalled for that.
    /// - Parameter rate: rows a second (the published rate, else the operators' limit); nil or
    ///   0 when unknown.
    public static func staleAfter(rate: Double?, batch: Int) -> TimeInterval {
        guard let rate, rate.isFinite, rate > 0 else { return 60 }
        let batches = 3 * Double(max(1, batch)) / rate
        return batches.isFinite ? min(3600, max(60, batches)) : 3600
    }

    /// The rate `gauge` says a job walks at `now`, or nil when it says nothing a reader should
    /// believe: absent; not a number, not above 0 (a finished job publishes 0) or beyond
    /// ``maximumRate`` (a hostile or broken row); or older than ``staleAfter(rate:batch:)`` (the
    /// job stopped reporting). A clock that disagrees (a figure from the future) is believed
    /// within the same bound, never beyond it. (The gauge is not compared with the run's start:
    /// on PostgreSQL the server stamps it and the client the start, and two clocks a few
    /// seconds apart would hide a true rate.)
    /// - Parameter batch: the job's batch size as the operators set it (``JobControl/batch``).
    public static func published(_ gauge: Gauge?, batch: Int, now: Date) -> Double? {
        guard let gauge, gauge.value.isFinite, gauge.value > 0, gauge.value <= maximumRate else { return nil }
        let age = now.timeIntervalSince(gauge.updatedAt)
        let bound = staleAfter(rate: gauge.value, batch: batch)
        return abs(age) <= bound ? gauge.value : nil
    }
}

extension Job {
    /// The gauge the job publishes its ``RecentRate`` in, after each batch (0 once finished).
    public var rateGauge: String {
        switch self {
        case .backfill: CounterName.backfillRate
        case .verify: CounterName.verifyFullRate
        }
    }
}
