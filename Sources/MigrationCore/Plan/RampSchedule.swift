import Foundation

/// The steps the guard raises a ramped phase's rollout through, one every `everySeconds`.
///
/// ```yaml
/// ramp: {steps: [1, 5, 25, 50, 100], every: 30m}
/// ```
///
/// A step is due `everySeconds` after the rollout last changed (or the phase was entered), so
/// an operator who ramps by hand restarts the clock, and a guard that rolled back holds it.
public struct RampSchedule: Sendable, Equatable, Codable {
    /// Strictly increasing rollouts above 0%.
    public var steps: [Rollout]
    public var everySeconds: Int64

    public init(steps: [Rollout], everySeconds: Int64) {
        self.steps = steps
        self.everySeconds = everySeconds
    }

    /// The first step above `rollout`, or nil when the phase is past its last step.
    public func step(after rollout: Rollout) -> Rollout? {
        steps.first { $0 > rollout }
    }

    /// When the next step of `state` is due, or nil when none is left.
    public func due(for state: MigrationState) -> (step: Rollout, at: Date)? {
        guard let step = step(after: state.rollout) else { return nil }
        return (step, state.changedAt.addingTimeInterval(TimeInterval(everySeconds)))
    }

    /// `1% → 5% → 25% every 30m`.
    public var summary: String {
        steps.map(\.description).joined(separator: " → ") + " every " + GateFormat.duration(everySeconds)
    }
}

/// What a phase lets the guard do by itself; empty for a plan written before guards existed.
///
/// Stored as JSON in the `phases.automation` column (NULL when empty, so a plan without
/// automation hashes as it always did).
public struct PhaseAutomation: Sendable, Equatable, Codable {
    public var guards: [PhaseGuard]
    public var ramp: RampSchedule?
    /// The guard may advance into this phase by itself when every gate passes.
    public var autoAdvance: Bool

    public init(guards: [PhaseGuard] = [], ramp: RampSchedule? = nil, autoAdvance: Bool = false) {
        self.guards = guards
        self.ramp = ramp
        self.autoAdvance = autoAdvance
    }

    public var isEmpty: Bool { guards.isEmpty && ramp == nil && !autoAdvance }

    /// The JSON of the `automation` column, or nil when there is nothing to store.
    public var storedText: String? {
        guard !isEmpty else { return nil }
        return SortedJSON.text(self)
    }
}
