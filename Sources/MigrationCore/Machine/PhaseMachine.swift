import Foundation

/// The rules for moving a migration between phases, as a pure function of data.
///
/// Given the plan, the current state and a request, it returns the state to store
/// or a ``TransitionRefusal``. It never touches the control database: the store
/// applies the result with compare-and-swap on ``MigrationState/version``.
///
/// ```swift
/// let next = try PhaseMachine.apply(.advance(), to: state, in: .default, at: .now, by: "ana")
/// ```
///
/// Rules:
/// - advance moves exactly one phase forward, and needs the current phase at 100%;
/// - a phase that is not ramped is entered at 100%; a ramped one at the requested rollout (default 0%);
/// - rollback moves one phase back, to 100% of the previous phase, and is refused
///   out of an irreversible phase (keys would cross back over the point of no return);
/// - in an irreversible phase the rollout may only go up;
/// - the last phase of the plan is final;
/// - asking for the rollout the phase already has changes nothing (the same state comes back).
public enum PhaseMachine {
    /// The state after `request`, stamped with a new version, `date` and `actor`.
    /// - Throws: ``TransitionRefusal`` when the plan forbids the request.
    public static func apply(
        _ request: PhaseRequest, to state: MigrationState, in plan: Plan, at date: Date, by actor: String
    ) throws(TransitionRefusal) -> MigrationState {
        guard let index = plan.index(of: state.phase) else { throw .unknownPhase(state.phase) }
        let current = plan.phases[index]
        let isLast = index == plan.phases.count - 1
        var next = state
        switch request {
        case .advance(let asked, let rollout):
            guard !isLast else { throw .atFinalPhase(current.id) }
            let target = plan.phases[index + 1]
            if let asked, asked != target.id { throw .notTheNextPhase(asked: asked, next: target.id) }
            guard state.rollout == .full else { throw .rolloutNotFull(phase: current.id, rollout: state.rollout) }
            if !target.ramp, let rollout, rollout != .full { throw .notRamped(target.id) }
            next.phase = target.id
            next.rollout = target.ramp ? (rollout ?? .none) : .full
            next.phaseSince = date
        case .rollback(let asked):
            guard !isLast else { throw .atFinalPhase(current.id) }
            guard index > 0 else { throw .atFirstPhase(current.id) }
            let target = plan.phases[index - 1]
            if let asked, asked != target.id { throw .notThePreviousPhase(asked: asked, previous: target.id) }
            guard !current.irreversible else { throw .pastPointOfNoReturn(current: current.id) }
            next.phase = target.id
            next.rollout = .full
            next.phaseSince = date
        case .setRollout(let rollout):
            guard current.ramp else { throw .notRamped(current.id) }
            if rollout == state.rollout { return state }
            if current.irreversible, rollout < state.rollout {
                throw .rolloutDownInIrreversible(phase: current.id, from: state.rollout, to: rollout)
            }
            next.rollout = rollout
        }
        next.version = state.version + 1
        next.changedAt = date
        next.changedBy = actor
        return next
    }
}
