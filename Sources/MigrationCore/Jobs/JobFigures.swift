import Foundation

/// What an operator wants to know of a job, worked out from its stored progress, the
/// operators' settings and the rate the job published: how far it is, what it is doing
/// (``Pace``), how fast it went recently and when it should be done at that pace. Pure: the
/// caller passes the clock. The console's job lines and Progress line, `migctl backfill|verify
/// status` and `migctl status --watch` all take their figures from here, so they agree.
///
/// A rate and an ETA are given only while the job runs and published a rate a reader may
/// believe (``RecentRate/published(_:batch:now:)``); a finished, paused or
/// throttled job, or one that stopped reporting, says so instead.
///
/// ```swift
/// let figures = JobFigures(progress, control: control, rate: gauges.first { $0.name == Job.backfill.rateGauge }, now: Date())
/// figures.pace            // .running
/// figures.rowsPerSecond   // 1250.0, over about the last 30 s
/// figures.etaSeconds      // 312
/// ```
public struct JobFigures: Sendable, Equatable, Encodable {
    /// What the job is doing.
    public enum Pace: String, Sendable, Equatable, Encodable {
        /// Walking, as far as anyone can tell (with a rate once the job published one).
        case running
        /// An operator paused it (`migctl backfill pause`, the console's `p`).
        case paused
        /// The plan's health throttle slows or pauses it (``JobFigures/throttled`` says why).
        case throttled
        /// Neither paused nor finished, but it has not reported for longer than
        /// ``RecentRate/staleAfter(rate:batch:)``: the process stopped, or stopped stepping it.
        case stalled
        /// The run finished.
        case done
    }

    public var done: Int64
    public var total: Int64?
    /// Rows left to walk; 0 once finished, nil while the total is unknown.
    public var remaining: Int64?
    /// 0–100, nil while the total is unknown.
    public var percent: Double?
    public var finished: Bool
    public var pace: Pace
    /// Rows walked a second over about the last 30 s, as the job published it; nil unless
    /// ``pace`` is running and the figure is current.
    public var rowsPerSecond: Double?
    /// Seconds left at that rate; nil whenever there is no rate or no total (never 0 for done).
    public var etaSeconds: Int64?
    /// Why the health throttle slows or pauses it (``Pace/throttled``).
    public var throttled: String?
    /// Seconds since the job last reported (``Pace/stalled``).
    public var silentSeconds: Double?

    /// The figures of a run recorded in `job_progress`.
    /// - Parameter rate: the job's ``Job/rateGauge``, if any was published.
    public init(_ progress: JobProgress, control: JobControl, rate: Gauge?, now: Date) {
        self.init(done: progress.done, total: progress.total, finished: progress.finishedAt != nil,
                  reportedAt: progress.updatedAt ?? progress.finishedAt ?? progress.startedAt, throttled: progress.throttled,
                  control: control, rate: rate, now: now)
    }

    /// The figures of a job known only by what it reported (a client that publishes gauges
    /// and records no `job_progress`).
    /// - Parameter reportedAt: when the job last reported anything, if known.
    public init(done: Int64, total: Int64?, finished: Bool, reportedAt: Date?, throttled: String?,
                control: JobControl, rate: Gauge?, now: Date) {
        let done = max(0, done), total = total.map { max(0, $0) }
        self.done = done
        self.total = total
        self.finished = finished
        let remaining = finished ? 0 : total.map { max(0, $0 - done) }
        self.remaining = remaining
        percent = finished ? 100 : total.map { $0 == 0 ? 100 : min(100, Double(done) / Double($0) * 100) }
        if finished {
            pace = .done
        } else if control.paused {
            pace = .paused
        } else if let throttled {
            pace = .throttled
            self.throttled = throttled
        } else if let recent = RecentRate.published(rate, batch: control.batch, now: now) {
            pace = .running
            rowsPerSecond = recent
            etaSeconds = remaining.map { Self.seconds(rows: $0, at: recent) }
        } else {
            let hint = rate.map(\.value).flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? (control.rate > 0 ? Double(control.rate) : nil)
            let quiet = reportedAt.map { now.timeIntervalSince($0) } ?? 0
            if quiet > RecentRate.staleAfter(rate: hint, batch: control.batch) {
                pace = .stalled
                silentSeconds = quiet
            } else {
                pace = .running
            }
        }
    }

    /// Seconds to walk `rows` at `rate` rows a second, rounded up, at most `Int64.max`.
    static func seconds(rows: Int64, at rate: Double) -> Int64 {
        let seconds = (Double(rows) / rate).rounded(.up)
        return seconds < 9.2e18 ? Int64(seconds) : .max
    }
}

extension Job {
    /// The one word every reader uses for the rows a job walked: `copied` for the backfill (a
    /// record it walked is in the new store afterwards, copied by it or by a read before) and
    /// `checked` for the verifier. The console, `status` and the README say nothing else.
    public var walkedWord: String {
        switch self {
        case .backfill: "copied"
        case .verify: "checked"
        }
    }
}
