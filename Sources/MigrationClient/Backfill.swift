import Foundation
import MigrationCore
import Synchronization

/// Copies what lazy migration never touched: walks the old store in key order and inserts
/// each record into the new store only if the key is absent there, so it never overwrites
/// a newer write and never writes over a tombstone.
///
/// It reports the counter `backfill` (records it copied, each counted as it is copied, so a
/// crash loses no more counts than copies made since the last flush) and the gauges `backfill.total`,
/// `backfill.done` (records walked), `backfill.remaining` and `backfill.rate` (records walked a
/// second over about the last 30 s, paused time left out: ``RecentRate``; 0 once finished). It
/// can be paused and resumed, and restarted from its ``cursor`` after a crash.
///
/// Operators steer it from the control store (`migctl backfill pause|resume|rate|batch`): before
/// each batch it reads the store's `job_control` row for the backfill, copies nothing while
/// that says paused, takes the batch size from it once an operator set one, and waits as long
/// as its rate limit asks (in the calling thread). If the row cannot be read, the last settings
/// read stay in force.
///
/// It records where it is in the store (`job_progress`: cursor, rows walked, total, when it
/// started and finished) after each batch, and a backfill made without a cursor resumes from
/// the one stored: a process killed mid-batch and started again copies that batch again, which
/// insert-if-absent makes harmless (nothing overwritten, nothing counted twice).
///
/// ```swift
/// let backfill = Backfill(migrator: migrator, batchSize: 500)
/// while try backfill.step() {}
/// ```
public final class Backfill<Value: Sendable & Equatable>: Sendable {
    public let migrator: Migrator<Value>
    public let batchSize: Int
    private let progress: Mutex<(cursor: String?, done: Int, finished: Bool)>
    /// Whether the cursor still has to be taken from the store (made without one), and when this run started.
    private let resumeFromStore: Mutex<Bool>
    private let startedAt = Date()
    private let steering: JobSteering

    /// - Parameters:
    ///   - cursor: the last key a previous run finished, to resume after it.
    ///   - done: how many records that run had walked.
    public init(migrator: Migrator<Value>, batchSize: Int = 500, cursor: String? = nil, done: Int = 0) {
        self.migrator = migrator
        self.batchSize = max(1, batchSize)
        progress = Mutex((cursor, done, false))
        resumeFromStore = Mutex(cursor == nil && done == 0)
        steering = JobSteering(.backfill, client: migrator.client)
    }

    /// The last key walked: persist it to restart from here.
    public var cursor: String? { progress.withLock { $0.cursor } }
    public var isFinished: Bool { progress.withLock { $0.finished } }
    public var isPaused: Bool { steering.isPaused }

    public func pause() { steering.pause() }
    public func resume() { steering.resume() }

    /// What the operators asked of the backfill, as last read from the store
    /// (``MigrationCore/JobControl/standard`` until an operator changes it).
    public var control: JobControl { steering.control }

    /// Copies one batch. Returns false when paused (here, or by an operator) or finished.
    @discardableResult
    public func step() throws -> Bool {
        guard !isFinished else { return false }
        try resumeIfStored()
        guard let batchSize = steering.nextBatch(size: self.batchSize) else {
            try recordThrottleChange()
            return false
        }
        let (cursor, finished) = progress.withLock { ($0.cursor, $0.finished) }
        guard !finished else { return false }
        let batch = try migrator.old.batch(after: cursor, limit: batchSize)
        let copied = migrator.client.counter(CounterName.backfill)
        for record in batch where try migrator.new.putIfAbsent(record.key, record.value, .backfill) {
            copied.add()
        }
        let total = try migrator.old.count()
        let done = progress.withLock { state in
            state.cursor = batch.last?.key ?? state.cursor
            let (sum, overflow) = state.done.addingReportingOverflow(batch.count)   // a stored count may be at the limit
            state.done = overflow ? .max : sum
            state.finished = batch.count < batchSize
            return state.finished ? max(state.done, total) : state.done
        }
        try migrator.client.gauge(CounterName.backfillTotal, Double(total))
        try migrator.client.gauge(CounterName.backfillDone, Double(min(done, total)))
        try migrator.client.gauge(CounterName.backfillRemaining, Double(isFinished ? 0 : max(0, total - done)))
        try steering.publishRate(walked: batch.count, finished: isFinished)
        let walked = progress.withLock { $0.done }
        let throttled = steering.throttled
        try migrator.client.store.saveJobProgress(.backfill, JobProgress(
            cursor: JobProgress.storableCursor(after: batch.map(\.key), previous: cursor), done: Int64(walked), total: Int64(total),
            startedAt: startedAt, finishedAt: isFinished ? Date() : nil, instance: migrator.client.instanceID,
            throttled: throttled))
        steering.recorded(throttled)
        return !isFinished
    }

    /// Why the plan's health throttle slows or pauses the backfill now, or nil at full speed.
    public var throttled: String? { steering.throttled }

    /// Records in the store that the health throttle paused the backfill, or lifted, once per
    /// change, so operators see why a backfill stands still.
    private func recordThrottleChange() throws {
        guard let reason = steering.unrecordedThrottle else { return }
        let (cursor, done) = progress.withLock { ($0.cursor, $0.done) }
        try migrator.client.store.saveJobProgress(.backfill, JobProgress(
            cursor: JobProgress.storableCursor(after: [], previous: cursor) ?? (try? migrator.client.store.jobProgress(.backfill))??.cursor,
            done: Int64(done), total: (try? migrator.old.count()).map(Int64.init), startedAt: startedAt,
            instance: migrator.client.instanceID, throttled: reason))
        steering.recorded(reason)
    }

    /// Takes the cursor a previous run stored, once, when this backfill was made without one.
    /// A store that cannot say now is asked again at the next step (starting over would walk
    /// everything again and overwrite the stored progress).
    private func resumeIfStored() throws {
        guard resumeFromStore.withLock({ $0 }) else { return }
        let stored = try migrator.client.store.jobProgress(.backfill)
        resumeFromStore.withLock { $0 = false }
        guard let stored, stored.cursor != nil else { return }
        progress.withLock { $0 = (stored.cursor, Int(clamping: stored.done), false) }
    }
}
