import Foundation

/// Where a job is, as the process that runs it reports it in the control store
/// (`job_progress`): the key after which it goes on, how many rows it walked of how many, and
/// when it started and finished. A job that restarts after a crash resumes after ``cursor``.
public struct JobProgress: Sendable, Equatable {
    /// The last key walked; nil before the first batch.
    public var cursor: String?
    public var done: Int64
    public var total: Int64?
    public var startedAt: Date
    public var finishedAt: Date?
    /// The client instance that runs it.
    public var instance: String
    /// Why the job slowed or paused itself, or nil.
    public var throttled: String?

    public init(cursor: String?, done: Int64, total: Int64?, startedAt: Date, finishedAt: Date? = nil, instance: String,
                throttled: String? = nil) {
        self.cursor = cursor
        self.done = done
        self.total = total
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.instance = instance
        self.throttled = throttled
    }
}
