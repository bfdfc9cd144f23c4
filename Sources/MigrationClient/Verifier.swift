import Foundation
import MigrationCore
import Synchronization

/// Compares every key of the old store with the new store, so that the keys nobody reads
/// (the ones the backfill copied) are checked before the old store is retired.
///
/// It walks the old store in key order, in batches, and judges each key by what the new store
/// holds and by whether the key's phase still writes the old store (``Verdict``). It counts
/// `verify.full.match` and `verify.full.mismatch`, sets the gauges `verify.full.done`,
/// `verify.full.remaining` and `verify.full.rate` (keys a second recently: ``RecentRate``), and
/// after each batch records in the control store, in one transaction, the run's progress
/// (`job_progress`, job `verify`) and each mismatch found (`verify_mismatches`: the key and a
/// digest of each side). A `verified` gate reads both.
///
/// Operators steer it like the backfill (`migctl verify pause|resume|rate|batch`), and ask a
/// finished verifier for a new run with `migctl verify restart`. A verifier resumes the stored
/// run when that run is unfinished and started in the current visit of the current phase (a
/// crash loses nothing); otherwise it starts a new run.
///
/// Once the old store no longer receives writes, the new store legitimately holds newer
/// values: give `supersedes` to say when a new value is a later write of the old one (for
/// example a higher version number), or every changed key counts as a mismatch.
///
/// ```swift
/// let verifier = Verifier(migrator: migrator, supersedes: { old, new in new.version > old.version })
/// while try verifier.step() {}
/// ```
public final class Verifier<Value: Sendable & Equatable>: Sendable {
    public let migrator: Migrator<Value>
    public let batchSize: Int
    private let digest: @Sendable (Value) -> String
    private let supersedes: (@Sendable (_ old: Value, _ new: Value) -> Bool)?
    private let steering: JobSteering
    /// The run under way; nil until the first step finds or starts one.
    private let run = Mutex<JobProgress?>(nil)

    /// - Parameters:
    ///   - digest: a stable text (lowercase hex SHA-256 of the value's canonical bytes) that
    ///     identifies a value in a mismatch record without copying it into the control store.
    ///   - supersedes: whether `new` is a later write than `old`; consulted only once the key's
    ///     phase no longer writes the old store.
    public init(migrator: Migrator<Value>, batchSize: Int = 500, digest: @escaping @Sendable (Value) -> String,
                supersedes: (@Sendable (_ old: Value, _ new: Value) -> Bool)? = nil) {
        self.migrator = migrator
        self.batchSize = max(1, batchSize)
        self.digest = digest
        self.supersedes = supersedes
        steering = JobSteering(.verify, client: migrator.client)
    }

    /// The run as last recorded: cursor, keys walked, mismatches, when it started and finished.
    public var progress: JobProgress? { run.withLock { $0 } }
    public var isFinished: Bool { progress?.finishedAt != nil }
    public var isPaused: Bool { steering.isPaused }
    public func pause() { steering.pause() }
    public func resume() { steering.resume() }
    /// What the operators asked of the verifier, as last read from the store.
    public var control: JobControl { steering.control }

    /// Verifies one batch. Returns false when paused (here or by an operator) or finished. A
    /// finished verifier starts a new run once an operator changes its control after the run
    /// finished (`migctl verify restart`).
    @discardableResult
    public func step() throws -> Bool {
        guard !isPaused else { return false }
        if let finished = progress?.finishedAt {
            guard let asked = steering.refreshControl().changedAt, asked > finished else { return false }
            run.withLock { $0 = nil }
            steering.restartRate()
        }
        guard let size = steering.nextBatch(size: batchSize) else {
            try recordThrottleChange()
            return false
        }
        var progress = try currentRun()
        guard progress.finishedAt == nil else { return false }
        let batch = try migrator.old.batch(after: progress.cursor, limit: size)
        let found = try batch.compactMap { record in try judge(record.key, record.value, run: progress.startedAt) }
        let total = Int64(try migrator.old.count())
        progress.cursor = batch.last?.key ?? progress.cursor
        progress.done = progress.done.saturatingAdding(Int64(batch.count))
        progress.total = max(total, batch.count < size ? progress.done : 0)
        progress.mismatches = progress.mismatches.saturatingAdding(Int64(found.count))
        progress.instance = migrator.client.instanceID
        progress.throttled = steering.throttled
        if batch.count < size { progress.finishedAt = Date() }
        // Recorded before counted: a batch whose record failed is judged again, not counted twice.
        var stored = progress
        stored.cursor = JobProgress.storableCursor(after: batch.map(\.key), previous: run.withLock { $0?.cursor })
        try migrator.client.store.saveJobProgress(.verify, stored, mismatches: found)
        steering.recorded(progress.throttled)
        run.withLock { $0 = progress }
        migrator.client.count(CounterName.verifyFullMatch, by: Int64(batch.count - found.count))
        migrator.client.count(CounterName.verifyFullMismatch, by: Int64(found.count))
        let done = min(progress.done, progress.total ?? progress.done)
        try migrator.client.gauge(CounterName.verifyFullDone, Double(done))
        try migrator.client.gauge(CounterName.verifyFullRemaining, Double(isFinished ? 0 : max(0, (progress.total ?? 0) - done)))
        try steering.publishRate(walked: batch.count, finished: isFinished)
        return !isFinished
    }

    /// Why the plan's health throttle slows or pauses the verification now, or nil.
    public var throttled: String? { steering.throttled }

    /// Records the health throttle's change in the run under way, once per change.
    private func recordThrottleChange() throws {
        guard let reason = steering.unrecordedThrottle, var progress = run.withLock({ $0 }) else { return }
        progress.throttled = reason
        try migrator.client.store.saveJobProgress(.verify, progress, mismatches: [])
        steering.recorded(reason)
        run.withLock { $0 = progress }
    }

    /// The run under way: the one in memory, else the stored one if it is unfinished and was
    /// started in this visit of the current phase, else a new one starting now (so a verifier
    /// made after a run finished starts a new one).
    private func currentRun() throws -> JobProgress {
        if let progress = run.withLock({ $0 }) { return progress }
        let state = migrator.client.current.state
        let stored = try migrator.client.store.jobProgress(.verify)
        let progress: JobProgress
        if let stored, stored.finishedAt == nil, stored.sincePhase == state.phase,
           stored.phaseEnteredAt.map(Timestamp.string) == Timestamp.string(state.phaseSince) {
            progress = stored
        } else {
            // To the millisecond the store keeps, so the run's mismatches are found by its start.
            let now = Timestamp.date(Timestamp.string(Date())) ?? Date()
            progress = JobProgress(cursor: nil, done: 0, total: nil, startedAt: now, instance: migrator.client.instanceID,
                                   sincePhase: state.phase, phaseEnteredAt: state.phaseSince)
        }
        run.withLock { $0 = progress }
        return progress
    }

    /// The mismatch `key` makes, or nil when it is as it should be. A first mismatch is judged
    /// again after reading both stores once more, so a write racing the walk is not reported.
    private func judge(_ key: String, _ oldValue: Value, run started: Date) throws -> VerifyMismatch? {
        let route = migrator.client.route(for: key)
        let writesOld = route.writes.contains(.old)
        var old = oldValue
        var new = try migrator.new.get(key)
        if Verdict.judge(old: old, new: new, writesOld: writesOld, supersedes: supersedes) == .match { return nil }
        guard let reread = try migrator.old.get(key) else { return nil }
        old = reread
        new = try migrator.new.get(key)
        guard Verdict.judge(old: old, new: new, writesOld: writesOld, supersedes: supersedes) == .mismatch else { return nil }
        let newDigest = switch new {
        case nil: VerifyMismatch.absent
        case .tombstone?: VerifyMismatch.tombstone
        case .value(let value)?: digest(value)
        }
        return VerifyMismatch(runStartedAt: started, key: VerifyMismatch.recorded(key), oldDigest: digest(old), newDigest: newDigest, foundAt: Date())
    }

    /// How the verifier judges one key: a pure function of both sides and the key's phase.
    public enum Verdict: Sendable, Equatable {
        case match
        case mismatch

        /// - absent in the new store: a mismatch (reads of the new store alone would lose it);
        /// - a tombstone: a match once the old store no longer receives writes (deleted since),
        ///   a mismatch while it does (the delete should have reached it);
        /// - an equal value: a match;
        /// - another value: a match only once the old store no longer receives writes and
        ///   `supersedes(old, new)` says the new value is a later write.
        public static func judge(old: Value, new: Stored<Value>?, writesOld: Bool,
                                 supersedes: ((Value, Value) -> Bool)?) -> Verdict {
            switch new {
            case nil: .mismatch
            case .tombstone?: writesOld ? .mismatch : .match
            case .value(let value)? where value == old: .match
            case .value(let value)?: !writesOld && (supersedes?(old, value) ?? false) ? .match : .mismatch
            }
        }
    }
}

extension Verifier where Value: Encodable {
    /// A verifier whose digest is the SHA-256 of the value's JSON with sorted keys.
    public convenience init(migrator: Migrator<Value>, batchSize: Int = 500,
                            supersedes: (@Sendable (_ old: Value, _ new: Value) -> Bool)? = nil) {
        self.init(migrator: migrator, batchSize: batchSize, digest: { value in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return SHA256.hex(Array((try? encoder.encode(value)) ?? Data()))
        }, supersedes: supersedes)
    }
}
