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
    /// While this phase is current, the long jobs slow down or pause by themselves on these
    /// health gauges (``JobThrottle``).
    public var throttle: [JobThrottle]

    public init(guards: [PhaseGuard] = [], ramp: RampSchedule? = nil, autoAdvance: Bool = false, throttle: [JobThrottle] = []) {
        self.guards = guards
        self.ramp = ramp
        self.autoAdvance = autoAdvance
        self.throttle = throttle
    }

    public var isEmpty: Bool { guards.isEmpty && ramp == nil && !autoAdvance && throttle.isEmpty }

    /// The JSON of the `automation` column, or nil when there is nothing to store.
    public var storedText: String? {
        guard !isEmpty else { return nil }
        return SortedJSON.text(self)
    }

    enum CodingKeys: String, CodingKey {
        case guards, ramp, autoAdvance, throttle
    }

    /// Automation stored before throttles existed has none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(guards: try c.decode([PhaseGuard].self, forKey: .guards), ramp: try c.decodeIfPresent(RampSchedule.self, forKey: .ramp),
                  autoAdvance: try c.decode(Bool.self, forKey: .autoAdvance),
                  throttle: try c.decodeIfPresent([JobThrottle].self, forKey: .throttle) ?? [])
    }

    /// Leaves `throttle` out when there is none, so a plan without throttles is stored (and
    /// hashed) as it was before they existed.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(guards, forKey: .guards)
        try c.encodeIfPresent(ramp, forKey: .ramp)
        try c.encode(autoAdvance, forKey: .autoAdvance)
        if !throttle.isEmpty { try c.encode(throttle, forKey: .throttle) }
    }
}
