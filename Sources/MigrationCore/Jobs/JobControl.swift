import Foundation

/// The long jobs an operator steers through the control store while they run.
public enum Job: String, Sendable, CaseIterable, Codable {
    /// The copy of every record the application never touched (the `backfill` phase).
    case backfill
    /// The walk that compares every key of the old store with the new one.
    case verify

    /// The audit action of a change to this job's control (the job's own name).
    public var auditAction: AuditAction { self == .backfill ? .backfill : .verify }
}

/// How operators want a job to run, read by the job before each batch: paused or running,
/// at most ``rate`` rows a second (0: no limit), in batches of ``batch`` rows.
public struct JobControl: Sendable, Equatable, Codable {
    public var paused: Bool
    /// Rows a second at most; 0 sets no limit.
    public var rate: Int64
    public var batch: Int
    /// When and by whom it was last changed; nil while nobody has changed it.
    public var changedAt: Date?
    public var changedBy: String?

    public init(paused: Bool, rate: Int64, batch: Int, changedAt: Date? = nil, changedBy: String? = nil) {
        self.paused = paused
        self.rate = rate
        self.batch = batch
        self.changedAt = changedAt
        self.changedBy = changedBy
    }

    /// What a job does until an operator says otherwise: run, with no rate limit, 500 rows a batch.
    public static let standard = JobControl(paused: false, rate: 0, batch: 500)
    /// The rates the store accepts, in rows a second.
    public static let rates: ClosedRange<Int64> = 0...1_000_000_000
    /// The batch sizes the store accepts.
    public static let batches: ClosedRange<Int> = 1...100_000
}

/// One change an operator asks of a job.
public enum JobControlChange: Sendable, Equatable {
    case pause
    case resume
    case rate(Int64)
    case batch(Int)
    /// Asks for a new run of a job that finished (the verifier starts one when its control
    /// changed after its run finished); changes no setting.
    case restart

    /// `control` with this change made.
    public func applied(to control: JobControl) -> JobControl {
        var changed = control
        switch self {
        case .pause: changed.paused = true
        case .resume: changed.paused = false
        case .rate(let rate): changed.rate = rate
        case .batch(let batch): changed.batch = batch
        case .restart: break
        }
        return changed
    }

    /// The `job_control` column this change writes, and nothing else: two operators changing
    /// different settings at once both keep their change.
    public var column: String {
        switch self {
        case .pause, .resume: "paused"
        case .rate: "rate"
        case .batch: "batch"
        case .restart: "changed_at"
        }
    }

    /// The change in a few words, for the audit log and the command's answer.
    public var summary: String {
        switch self {
        case .pause: "paused"
        case .resume: "resumed"
        case .rate(let rate): rate == 0 ? "rate limit lifted" : "rate limited to \(rate) rows a second"
        case .batch(let batch): "batches of \(batch) rows"
        case .restart: "asked to start a new run"
        }
    }

    /// Why the store would refuse this change, or nil.
    public var problem: String? {
        switch self {
        case .rate(let rate) where !JobControl.rates.contains(rate):
            "a rate is 0 (no limit) to \(JobControl.rates.upperBound) rows a second, not \(rate)"
        case .batch(let batch) where !JobControl.batches.contains(batch):
            "a batch is \(JobControl.batches.lowerBound) to \(JobControl.batches.upperBound) rows, not \(batch)"
        default: nil
        }
    }
}
