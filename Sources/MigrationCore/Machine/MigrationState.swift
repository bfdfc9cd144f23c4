import Foundation

/// Where a migration stands: its current phase and how far that phase is rolled out.
///
/// Exactly one row of the control database holds it. `version` rises by one on every
/// change, so a writer can say "only if nobody moved it since I looked"
/// (compare-and-swap) and a reader can tell a new state from an old one cheaply.
public struct MigrationState: Sendable, Equatable, Codable {
    /// The id of the current phase.
    public var phase: String
    /// The share of keys that get the current phase's behaviour; the rest get the previous phase's.
    public var rollout: Rollout
    /// Incremented on every change; starts at 1 at `init`.
    public var version: Int64
    /// When the migration entered the current phase (the soak clock).
    public var phaseSince: Date
    /// When the phase or rollout was last changed.
    public var changedAt: Date
    /// Who made that change.
    public var changedBy: String

    public init(phase: String, rollout: Rollout, version: Int64, phaseSince: Date, changedAt: Date, changedBy: String) {
        self.phase = phase
        self.rollout = rollout
        self.version = version
        self.phaseSince = phaseSince
        self.changedAt = changedAt
        self.changedBy = changedBy
    }

    /// The phase whose behaviour a key in `bucket` gets: the current phase inside the
    /// rollout, the previous phase of `plan` outside it.
    public func effectivePhase(forBucket bucket: Int, in plan: Plan) -> Phase? {
        guard let positions = phasePositions(in: plan) else { return nil }
        return plan.phases[rollout.includes(bucket: bucket) ? positions.inside : positions.outside]
    }

    /// The positions in `plan` of the phase keys inside the rollout get (the current one) and of
    /// the phase keys outside it get (the previous one; the first phase has no previous, so itself).
    public func phasePositions(in plan: Plan) -> (inside: Int, outside: Int)? {
        guard let index = plan.index(of: phase) else { return nil }
        return (index, max(0, index - 1))
    }

    /// Whole seconds since the current phase began, at least 1 (a phase stamped in the future,
    /// by a skewed clock or a hand-written row, counts 1 s): the span of a `window: phase` count.
    public func secondsInPhase(at now: Date) -> Int64 {
        let elapsed = now.timeIntervalSince(phaseSince)
        guard elapsed.isFinite, elapsed > 1 else { return 1 }
        return Int64(min(elapsed.rounded(.up), 100 * 365 * 86_400))
    }
}
