import Foundation

/// A guard that fired: what it saw, what it did, and (once an operator cleared it) who
/// cleared it. A fired `hold` or `rollback` guard blocks advancing and raising the rollout, for
/// people and for the guard alike, until it is cleared.
public struct GuardFiring: Sendable, Equatable, Codable {
    public var id: Int64
    /// The guard's name in the plan.
    public var name: String
    /// The phase that was current when it fired.
    public var phase: String
    /// `notify`, `hold` or `rollback` (``GuardAction/word``).
    public var action: String
    public var firedAt: Date
    public var firedBy: String
    /// The figure the guard saw and the bound it wanted, e.g. `0.031 (31/1000)` and `≤ 0.01`.
    public var observed: String
    public var bound: String
    /// The condition's sentence when it failed.
    public var sentence: String
    public var clearedAt: Date?
    public var clearedBy: String?
    public var clearReason: String?

    public init(id: Int64 = 0, name: String, phase: String, action: String, firedAt: Date, firedBy: String, observed: String,
                bound: String, sentence: String, clearedAt: Date? = nil, clearedBy: String? = nil, clearReason: String? = nil) {
        self.id = id
        self.name = name
        self.phase = phase
        self.action = action
        self.firedAt = firedAt
        self.firedBy = firedBy
        self.observed = observed
        self.bound = bound
        self.sentence = sentence
        self.clearedAt = clearedAt
        self.clearedBy = clearedBy
        self.clearReason = clearReason
    }

    public var isOpen: Bool { clearedAt == nil }
    /// Whether it blocks advancing and raising the rollout: open, and not a mere notification.
    public var blocks: Bool { isOpen && action != GuardAction.notify.word }
}

/// What the acting guard writes in one transaction, only while it holds the lease.
public struct GuardWrite: Sendable {
    /// The lease the write is fenced by: refused unless its holder and epoch still hold it.
    public var lease: GuardLease
    /// Events that change no state, appended first (a guard that fired).
    public var events: [AuditEvent]
    /// A state change (a rollback, a ramp step, an advance) and its audit event, appended last.
    public var change: (new: MigrationState, old: MigrationState, event: AuditEvent)?
    /// A guard that fired, recorded with them.
    public var firing: GuardFiring?

    public init(lease: GuardLease, events: [AuditEvent] = [], change: (new: MigrationState, old: MigrationState, event: AuditEvent)? = nil,
                firing: GuardFiring? = nil) {
        self.lease = lease
        self.events = events
        self.change = change
        self.firing = firing
    }
}
