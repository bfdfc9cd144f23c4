import Foundation

/// The migration's name and birth: the row `init` writes once.
public struct MigrationInfo: Sendable, Equatable, Codable {
    /// The migration's name, which is also the bucketing salt.
    public var name: String
    public var createdAt: Date
    public var createdBy: String

    public init(name: String, createdAt: Date, createdBy: String) {
        self.name = name
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// The last value reported for a gauge, e.g. `backfill.remaining`.
public struct Gauge: Sendable, Equatable, Codable {
    public var name: String
    public var value: Double
    public var updatedAt: Date

    public init(name: String, value: Double, updatedAt: Date) {
        self.name = name
        self.value = value
        self.updatedAt = updatedAt
    }
}

/// The shared control database, as the rest of migctl sees it.
///
/// Callers never see SQL: the SQLite file behind ``SQLiteControlStore`` is one
/// implementation, and a networked store can take its place without touching them.
/// Every method throws ``ControlStoreError`` only.
public protocol ControlStore: Sendable {
    /// Where the store lives, for messages and for programs the gates run.
    var location: String { get }
    /// The migration's name and creation.
    func migration() throws(ControlStoreError) -> MigrationInfo
    /// The plan copied in at `init`.
    func plan() throws(ControlStoreError) -> Plan
    /// The runbook text copied in at `init` for `phase`, if the plan names one.
    func runbook(phase: String) throws(ControlStoreError) -> String?
    /// The current state.
    func state() throws(ControlStoreError) -> MigrationState
    /// Replaces `old` by `new` and appends `event`, atomically, only if the stored
    /// version still equals `old.version`. The event's phases, rollouts and version are
    /// set from `old` and `new`, so the audit row always records the change itself.
    /// - Throws: ``ControlStoreError/conflict(expected:found:)`` when it does not.
    func commit(_ new: MigrationState, replacing old: MigrationState, event: AuditEvent) throws(ControlStoreError)
    /// Appends an event that changes no state (an approval, a checklist tick).
    func append(_ event: AuditEvent) throws(ControlStoreError)
    /// The newest `limit` audit events, newest first.
    func auditLog(limit: Int) throws(ControlStoreError) -> [AuditEvent]
    /// The audit events with an id above `id`, oldest first, from at most `limit` rows: what a
    /// follower (`migctl log --follow`) reads next. Appends are serialised and numbered in commit
    /// order, so a follower that passes the last id it read never misses or repeats an event.
    /// `through` is the id of the last row read, decoded or skipped (see ``takeRowProblems()``),
    /// so a follower moves past a row it cannot use; it is `id` when there was none.
    func auditLog(after id: Int64, limit: Int) throws(ControlStoreError) -> (events: [AuditEvent], through: Int64)
    /// Adds each count to its counter's bucket for the second `second` (Unix time), in one transaction.
    /// Additions saturate at `Int64.max`; they never wrap.
    func add(counts: [String: Int64], second: Int64) throws(ControlStoreError)
    /// Sets a gauge's value.
    func setGauge(_ name: String, to value: Double, at date: Date) throws(ControlStoreError)
    /// Every counter's total since `init`.
    func counterTotals() throws(ControlStoreError) -> [String: Int64]
    /// Every gauge's last value.
    func gauges() throws(ControlStoreError) -> [Gauge]
    /// `names` summed into `slots` equal slots covering [`from`, `to`) (Unix seconds), downsampled
    /// in the database; slots of a minute or more read the per-minute roll-up.
    func counterSeries(_ names: [String], from: Int64, to: Int64, slots: Int) throws(ControlStoreError) -> CounterSeries
    /// The sum of each counter over the last `window.seconds` before `now`, exact to the second.
    func counterSums(_ windows: [CounterWindow], now: Date) throws(ControlStoreError) -> [CounterWindow: Int64]
    /// The checklist of `phase`'s runbook, with who ticked what.
    func checklist(phase: String) throws(ControlStoreError) -> [ChecklistItem]
    /// Ticks or unticks item `number` of `phase`'s checklist and records it in the audit log.
    func setTick(phase: String, item number: Int, ticked: Bool, by signer: Operator, at date: Date) throws(ControlStoreError)
    /// Records `signer`'s approval of advancing into `phase`, with its audit event.
    func approve(phase: String, by signer: Operator, at date: Date, reason: String?) throws(ControlStoreError)
    /// Every approval of `phase`, newest first.
    func approvals(phase: String) throws(ControlStoreError) -> [Approval]
    /// The client instances that have reported, live or stale.
    func instances() throws(ControlStoreError) -> [FleetInstance]
    /// Adds counts and refreshes an instance's heartbeat in one transaction (what a client's flush does).
    func flush(counts: [String: Int64], second: Int64, heartbeat: FleetInstance?) throws(ControlStoreError)
    /// Removes an instance's row (a client's clean shutdown).
    func removeInstance(id: String) throws(ControlStoreError)
    /// Removes an instance that is gone for good and appends `event` saying so, in one transaction.
    /// - Returns: false when there is no such instance (or none this connection may remove): nothing is written.
    func forgetInstance(id: String, event: AuditEvent) throws(ControlStoreError) -> Bool
    /// A number that changes whenever anyone (this connection or another) commits to the
    /// database: a cheap way to notice that something is worth reloading.
    func changeToken() throws(ControlStoreError) -> Int64
    /// Another connection to the same database, read-only if asked: for a long-lived process
    /// that gives each job its own (a client reads the state while its flush waits for the
    /// write lock), and that replaces one after a failure or a change of file. A store that is
    /// not a file may return itself.
    func reopen(readOnly: Bool) throws(ControlStoreError) -> any ControlStore
    /// How the database at ``location`` may no longer be the one this connection opened
    /// (replaced, or written behind the store's back), so a long-lived process should reopen;
    /// nil when it is unchanged. A harmless change may show too; reopening is always safe.
    func fileChangeSinceOpening() -> FileChange?
    /// The rows skipped since the last call because they held values the reader cannot use,
    /// for the caller to report (see ``RowProblem``).
    func takeRowProblems() -> [RowProblem]
    /// Calls `handler` whenever the store hears of a change without being asked (a server's
    /// notification), so a process can react at once instead of at its next poll. It may run
    /// on any thread: keep it short. A file store never calls it.
    func onChange(_ handler: @escaping @Sendable () -> Void)
    /// The time on the clock that stamps the store's times (a server's), as well as this process
    /// can tell: what soaks, heartbeats and approvals are measured against.
    func now() -> Date
    /// The login a server attributes every change to (PostgreSQL's `session_user`), or nil for a
    /// store where the actor is self-declared (a file).
    func login() throws(ControlStoreError) -> String?
    /// The newest audit row's id and hash: an anchor to keep outside the store. Nil when empty.
    func auditChainHead() throws(ControlStoreError) -> (id: Int64, hash: String)?
    /// Walks the audit log's hash chain (see ``AuditChain``): nil when intact.
    func verifyAuditChain() throws(ControlStoreError) -> AuditChain.Break?
    /// Why the stored plan can no longer be trusted to run programs (it changed after `init`), or nil.
    func planTampering() throws(ControlStoreError) -> String?

    /// The guard's lease as stored, or nil when no guard ever ran.
    func guardLease() throws(ControlStoreError) -> GuardLease?
    /// Takes the lease when it is free or expired, or renews it when `claim.holder` holds it,
    /// in one transaction (a takeover is audited); publishes `claim.status` with it.
    /// - Returns: the lease as stored afterwards: the caller's, or the other holder's.
    func claimGuardLease(_ claim: GuardClaim, at date: Date) throws(ControlStoreError) -> GuardLease
    /// Lets the lease expire now, if `lease` still holds it (a guard stopping cleanly), so a
    /// standby takes over at once.
    func releaseGuardLease(_ lease: GuardLease) throws(ControlStoreError)
    /// Writes what a guard decided, in one transaction, only if `write.lease` still holds the lease.
    /// - Throws: ``ControlStoreError/leaseLost(holder:)`` when it does not; nothing is written.
    func guardWrite(_ write: GuardWrite, at date: Date) throws(ControlStoreError)
    /// Fired guards, newest first: the open ones, or the last `limit` of all.
    func guardFirings(openOnly: Bool, limit: Int) throws(ControlStoreError) -> [GuardFiring]
    /// Clears the open firing of the guard `name` and appends `event`, in one transaction.
    /// - Returns: the firing cleared, or nil when that guard had none open (nothing is written).
    func clearGuard(name: String, event: AuditEvent) throws(ControlStoreError) -> GuardFiring?

    /// How operators want `job` to run: ``JobControl/standard`` while nobody changed it. A row
    /// that cannot be read is reported (``takeRowProblems()``) and reads as paused: a job
    /// never speeds up because its brake was damaged.
    func jobControl(_ job: Job) throws(ControlStoreError) -> JobControl
    /// Makes `change` to `job`'s control with `event` (its audit row, action = the job) in one
    /// transaction, writing only the setting it changes (``JobControlChange/column``), so
    /// concurrent changes of different settings never undo each other.
    func changeJobControl(_ job: Job, _ change: JobControlChange, event: AuditEvent) throws(ControlStoreError)
    /// Where `job` is, as the process running it last reported; nil before it ever ran (or when
    /// its row cannot be read, which is reported).
    func jobProgress(_ job: Job) throws(ControlStoreError) -> JobProgress?
    /// Records where `job` is (the process running it, after each batch), and the mismatches
    /// that batch found, in one transaction: a crash keeps both or neither.
    func saveJobProgress(_ job: Job, _ progress: JobProgress, mismatches: [VerifyMismatch]) throws(ControlStoreError)
    /// The mismatches the verify run that started at `runStartedAt` found, oldest first, at most
    /// `limit` of them (a bad row is reported and skipped).
    func verifyMismatches(runStartedAt: Date, limit: Int) throws(ControlStoreError) -> [VerifyMismatch]
}

extension ControlStore {
    /// A store without transactions of its own (a test double) removes, then appends.
    public func forgetInstance(id: String, event: AuditEvent) throws(ControlStoreError) -> Bool {
        guard try instances().contains(where: { $0.id == id }) else { return false }
        try removeInstance(id: id)
        try append(event)
        return true
    }

    /// A store without a query of its own (a test double) filters its newest events.
    public func auditLog(after id: Int64, limit: Int) throws(ControlStoreError) -> (events: [AuditEvent], through: Int64) {
        let events = Array(try auditLog(limit: 100_000).filter { $0.id > id }.sorted { $0.id < $1.id }.prefix(max(0, limit)))
        return (events, events.last?.id ?? id)
    }

    /// A store that cannot announce changes never calls `handler`.
    public func onChange(_ handler: @escaping @Sendable () -> Void) {}

    /// A file's times are its writers' clocks: this host's is the best guess.
    public func now() -> Date { Date() }

    /// A file cannot tell who opened it: the actor is whoever the caller says.
    public func login() throws(ControlStoreError) -> String? { nil }

    /// A store without a hash chain has no head.
    public func auditChainHead() throws(ControlStoreError) -> (id: Int64, hash: String)? { nil }

    /// A store that never skips rows reports none.
    public func takeRowProblems() -> [RowProblem] { [] }

    /// A store without a hash-chained audit log cannot say it is intact.
    public func verifyAuditChain() throws(ControlStoreError) -> AuditChain.Break? {
        throw .io(path: location, message: "this store keeps no hash chain to verify")
    }

    /// A store whose server enforces who may change the plan has nothing to add.
    public func planTampering() throws(ControlStoreError) -> String? { nil }

    /// A store without guard tables (a test double) has no guard and nothing fired.
    public func guardLease() throws(ControlStoreError) -> GuardLease? { nil }
    public func guardFirings(openOnly: Bool, limit: Int) throws(ControlStoreError) -> [GuardFiring] { [] }
    public func claimGuardLease(_ claim: GuardClaim, at date: Date) throws(ControlStoreError) -> GuardLease {
        throw .io(path: location, message: "this store keeps no guard lease")
    }
    public func releaseGuardLease(_ lease: GuardLease) throws(ControlStoreError) {}
    public func guardWrite(_ write: GuardWrite, at date: Date) throws(ControlStoreError) {
        throw .io(path: location, message: "this store keeps no guard lease")
    }
    public func clearGuard(name: String, event: AuditEvent) throws(ControlStoreError) -> GuardFiring? { nil }

    /// A store without job tables (a test double) runs every job as standard and keeps no change.
    public func jobControl(_ job: Job) throws(ControlStoreError) -> JobControl { .standard }
    public func changeJobControl(_ job: Job, _ change: JobControlChange, event: AuditEvent) throws(ControlStoreError) {
        throw .io(path: location, message: "this store keeps no job control")
    }
    public func jobProgress(_ job: Job) throws(ControlStoreError) -> JobProgress? { nil }
    public func saveJobProgress(_ job: Job, _ progress: JobProgress, mismatches: [VerifyMismatch]) throws(ControlStoreError) {}
    public func verifyMismatches(runStartedAt: Date, limit: Int) throws(ControlStoreError) -> [VerifyMismatch] { [] }

    /// Records where `job` is, with no mismatch found.
    public func saveJobProgress(_ job: Job, _ progress: JobProgress) throws(ControlStoreError) {
        try saveJobProgress(job, progress, mismatches: [])
    }
}

/// Counter values summed into equal time slots, for charts.
public struct CounterSeries: Sendable, Equatable {
    /// Unix second where slot 0 starts.
    public var start: Int64
    /// Seconds per slot.
    public var slotSeconds: Int64
    /// Per counter name, one sum per slot (oldest first).
    public var values: [String: [Int64]]

    public init(start: Int64, slotSeconds: Int64, values: [String: [Int64]]) {
        self.start = start
        self.slotSeconds = slotSeconds
        self.values = values
    }

    /// How [`from`, `to`) is cut into slots: every store downsamples by the same rule.
    package struct Layout {
        package let slots: Int
        /// Seconds per slot: whole minutes once a slot spans a minute or more.
        package let step: Int64
        /// Where slot 0 starts, so that the last slot ends at `to`.
        package let start: Int64
        /// Whether the slots are read from the per-minute roll-up.
        package var usesMinutes: Bool { step >= 60 }

        package init(from: Int64, to: Int64, slots: Int) {
            self.slots = max(1, slots)
            let span = max(1, to - from)
            var step = (span + Int64(self.slots) - 1) / Int64(self.slots)
            if step >= 60 { step = (step + 59) / 60 * 60 }
            self.step = step
            start = to - step * Int64(self.slots)
        }
    }
}
