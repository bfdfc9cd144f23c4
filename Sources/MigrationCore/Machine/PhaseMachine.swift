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
///   out of an irreversible phase above 0% (its keys would cross back over the point of no
///   return; at 0% no key has crossed it yet, since the rollout there only goes up);
/// - in an irreversible phase the rollout may only go up;
/// - a rollout decrease or a rollback that would make keys stop writing a store that already
///   holds their copies (dual-write down: the new store's copies would go stale) is refused
///   unless `overriding` (an operator's `--force --reason`, or a guard's configured action);
/// - the last phase of the plan is final;
/// - asking for the rollout the phase already has changes nothing (the same state comes back).
public enum PhaseMachine {
    /// The state after `request`, stamped with a new version, `date` and `actor`.
    /// - Throws: ``TransitionRefusal`` when the plan forbids the request.
    public static func apply(
        _ request: PhaseRequest, to state: MigrationState, in plan: Plan, at date: Date, by actor: String,
        overriding: Bool = false
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
            if current.irreversible, state.rollout > .none {
                throw .pastPointOfNoReturn(current: current.id, rollout: state.rollout, writesOld: current.writes.contains(.old))
            }
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
        if !overriding, let store = strandedStore(from: state, to: next, in: plan) {
            let rollback = next.phase != state.phase
            throw .strandsCopies(phase: state.phase, store: store, from: state.rollout, to: rollback ? .none : next.rollout, rollback: rollback)
        }
        next.version = state.version + 1
        next.changedAt = date
        next.changedBy = actor
        return next
    }

    /// The store whose copies go stale when the migration moves from `before` to `after`, or nil.
    ///
    /// Keys leave the current phase for the previous one's routing when its rollout goes down
    /// or when it is rolled back (from a rollout above 0%). If the current phase writes a store
    /// the previous one does not (dual-write writes the new store, old-only does not), those keys
    /// stop writing it while it keeps the copies they wrote: the copies go stale, and a later
    /// phase reading that store would serve them.
    public static func strandedStore(from before: MigrationState, to after: MigrationState, in plan: Plan) -> DataStore? {
        guard let index = plan.index(of: before.phase), index > 0, before.rollout > .none else { return nil }
        let current = plan.phases[index], previous = plan.phases[index - 1]
        let keysLeave = after.phase == before.phase ? after.rollout < before.rollout : after.phase == previous.id
        guard keysLeave else { return nil }
        return current.writes.first { !previous.writes.contains($0) }
    }
}
