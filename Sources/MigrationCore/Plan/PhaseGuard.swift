/// A condition the guard (`migctl guard`) watches while its phase is current, and what it
/// does when the condition fails.
///
/// ```yaml
/// guards:
///   - name: new-store-errors
///     when: {kind: counter, numerator: [write.new.error], denominator: [write], window: 5m, max: 0.01, min_sample: 100}
///     action: rollback        # notify | hold | rollback
/// ```
///
/// The condition is a gate (counter, gauge, command or prometheus): the guard fires when it fails, never
/// when it is unknown. A fired guard stays fired until an operator clears it.
public struct PhaseGuard: Sendable, Equatable, Codable {
    /// Unique within the plan: `migctl guard clear NAME` names it.
    public var name: String
    public var when: Gate
    public var action: GuardAction

    public init(name: String, when: Gate, action: GuardAction) {
        self.name = name
        self.when = when
        self.action = action
    }

    /// The gate kinds a guard may watch: what can be judged at any moment of a phase.
    public static let conditionKinds: Set<String> = ["counter", "gauge", "command", "prometheus"]
}

/// What the guard does when a guard's condition fails.
public enum GuardAction: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Tell people; change nothing and block nothing.
    case notify
    /// Tell people, and block advancing and raising the rollout until an operator clears it.
    case hold
    /// Tell people, hold, and move the keys back: the current phase's rollout to 0%, or (with
    /// `toPrevious`) back to the previous phase. Only before the point of no return.
    case rollback(toPrevious: Bool)

    /// Whether a fired guard with this action blocks advancing and raising the rollout.
    public var blocks: Bool {
        if case .notify = self { return false }
        return true
    }

    /// The word stored in the control store: `notify`, `hold` or `rollback`.
    public var word: String {
        switch self {
        case .notify: "notify"
        case .hold: "hold"
        case .rollback: "rollback"
        }
    }

    public var description: String {
        switch self {
        case .notify, .hold: word
        case .rollback(let toPrevious): toPrevious ? "rollback to the previous phase" : "rollback to 0%"
        }
    }
}
