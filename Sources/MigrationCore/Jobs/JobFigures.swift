import Foundation

/// What an operator wants to know of a running job, worked out from its stored progress: how
/// far it is, how fast it goes (rows a second, on average since its run started) and when it
/// should be done at that pace. Pure: the caller passes the clock.
///
/// ```swift
/// let figures = JobFigures(progress, now: Date())
/// figures.rowsPerSecond   // 1250.0
/// figures.etaSeconds      // 312
/// ```
public struct JobFigures: Sendable, Equatable, Encodable {
    public var done: Int64
    public var total: Int64?
    /// Rows left to walk; 0 once finished, nil while the total is unknown.
    public var remaining: Int64?
    /// 0–100, nil while the total is unknown.
    public var percent: Double?
    /// Rows walked a second since the run started; nil before a second has passed.
    public var rowsPerSecond: Double?
    /// Seconds left at that pace; nil when unknown (no pace yet, or no total).
    public var etaSeconds: Int64?
    public var finished: Bool

    public init(_ progress: JobProgress, now: Date) {
        done = max(0, progress.done)
        total = progress.total.map { max(0, $0) }
        finished = progress.finishedAt != nil
        remaining = finished ? 0 : total.map { max(0, $0 - done) }
        percent = finished ? 100 : total.map { $0 == 0 ? 100 : min(100, Double(done) / Double($0) * 100) }
        let end = progress.finishedAt ?? now
        let elapsed = end.timeIntervalSince(progress.startedAt)
        rowsPerSecond = elapsed >= 1 ? Double(done) / elapsed : nil
        if finished {
            etaSeconds = 0
        } else if let remaining, let pace = rowsPerSecond, pace > 0 {
            etaSeconds = Int64(clamping: (Double(remaining) / pace).rounded(.up))
        } else {
            etaSeconds = nil
        }
    }
}
