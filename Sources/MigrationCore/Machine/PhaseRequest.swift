/// A change an operator asks of a migration's state.
public enum PhaseRequest: Sendable, Equatable {
    /// Move one phase forward. `to` asserts which phase that is; `rollout` is where the
    /// new phase starts (default: 0% in a ramped phase, 100% otherwise).
    case advance(to: String? = nil, rollout: Rollout? = nil)
    /// Move one phase back, to the previous phase at 100%. `to` asserts which phase that is.
    case rollback(to: String? = nil)
    /// Set the rollout of the current phase.
    case setRollout(Rollout)

    /// The audit action this request records.
    public var action: AuditAction {
        switch self {
        case .advance: .advance
        case .rollback: .rollback
        case .setRollout: .rollout
        }
    }
}
