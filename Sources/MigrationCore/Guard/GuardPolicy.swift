import Foundation

/// What the guard does next: a pure function of the plan, the state, the fired guards and
/// what the current phase's guards saw. The guard (`migctl guard`) applies one move at a time,
/// then looks again.
///
/// In order of precedence:
/// 1. a guard of the current phase whose condition failed, and that has not fired yet, fires
///    (an unknown condition never fires);
/// 2. while any fired `hold` or `rollback` guard is open, nothing moves forward;
/// 3. a due step of the phase's ramp schedule raises the rollout;
/// 4. at 100%, an advance into a next phase that says `auto_advance: true` and is not
///    irreversible, when every one of its gates passes.
public enum GuardPolicy {
    /// One thing the guard does.
    public enum Move: Sendable, Equatable {
        /// A guard's condition failed: record it and do what its action says.
        case fire(PhaseGuard, GateResult)
        /// Raise the rollout to the ramp schedule's next step.
        case ramp(to: Rollout, step: Int, of: Int)
        /// Advance into the next phase (its gates passed).
        case advance(into: String)
    }

    /// The guards of `state`'s phase that failed and are not fired yet, with their results.
    public static func firing(_ phase: Phase, results: [GateResult], open: [GuardFiring]) -> [(PhaseGuard, GateResult)] {
        // Only a firing with the plan's own action counts as this guard's: a row forged with
        // `notify` must not silence a rollback guard.
        zip(phase.automation.guards, results).filter { watched, result in
            result.status == .fail && !open.contains { $0.name == watched.name && $0.isOpen && $0.action == watched.action.word }
        }
    }

    /// The next move, or nil with why the guard waits (nil reason: nothing to do).
    ///
    /// - Parameters:
    ///   - guardResults: the current phase's guards' results, in the plan's order.
    ///   - next: the gates of the phase after the current one, evaluated now (nil when there is none
    ///     or they were not evaluated).
    ///   - lowered: who lowered the rollout in the change that made the current state, if that
    ///     change lowered it: the guard does not ramp back over a person's (or its own) step down.
    public static func nextMove(
        plan: Plan, state: MigrationState, open: [GuardFiring], guardResults: [GateResult], next: GateReport?, now: Date,
        lowered: String? = nil
    ) -> (move: Move?, waiting: String?) {
        guard let phase = plan.phase(state.phase) else { return (nil, "the state names a phase the plan does not have") }
        if let (watched, result) = firing(phase, results: guardResults, open: open).first { return (.fire(watched, result), nil) }
        let holds = open.filter(\.blocks)
        if let hold = holds.first {
            return (nil, "held by the guard '\(hold.name)' since \(Timestamp.string(hold.firedAt)); 'migctl guard clear \(hold.name) --reason TEXT' releases it")
        }
        if phase.irreversible, phase.automation.ramp != nil { return (nil, "'\(phase.id)' is irreversible: only a person ramps it") }
        if let schedule = phase.automation.ramp, let due = schedule.due(for: state) {
            if let lowered {
                return (nil, "\(lowered) lowered the rollout of '\(phase.id)' to \(state.rollout); raise it by hand to resume the ramp schedule")
            }
            guard now >= due.at else { return (nil, "next ramp step \(due.step) at \(Timestamp.string(due.at))") }
            let index = (schedule.steps.firstIndex(of: due.step) ?? 0) + 1
            return (.ramp(to: due.step, step: index, of: schedule.steps.count), nil)
        }
        guard let target = plan.next(after: state.phase), target.automation.autoAdvance else { return (nil, nil) }
        if target.irreversible { return (nil, "'\(target.id)' is irreversible: entering it takes a person") }
        guard state.rollout == .full else { return (nil, "'\(state.phase)' is at \(state.rollout); it advances at 100%") }
        // The last step of a schedule soaks like the others before the guard moves on.
        if let every = phase.automation.ramp?.everySeconds, now < state.changedAt.addingTimeInterval(TimeInterval(every)) {
            return (nil, "'\(target.id)' is entered \(GateFormat.duration(every)) after the last ramp step, at \(Timestamp.string(state.changedAt.addingTimeInterval(TimeInterval(every))))")
        }
        guard let next, next.target == target.id, next.stateVersion == state.version else {
            return (nil, "the gates of '\(target.id)' are not evaluated yet")
        }
        guard next.allPass else {
            let blocking = next.blocking.map(\.label).prefix(3).joined(separator: "; ")
            return (nil, "advancing into '\(target.id)' waits for: \(blocking)")
        }
        return (.advance(into: target.id), nil)
    }

    /// The state change a fired guard's action makes, or nil when it makes none (notify, hold,
    /// or a rollback with nothing left to undo: already at 0%).
    ///
    /// A guard's rollback overrides the refusal of a move that strands copies
    /// (``TransitionRefusal/strandsCopies(phase:store:from:to:rollback:)``): the plan's author
    /// chose it as the emergency stop, and stale copies are the lesser harm than writes that go
    /// on failing. The move's audit event says so (``PhaseMachine/strandedStore(from:to:in:)``);
    /// the phase's runbook says how to repair them.
    public static func rollback(for action: GuardAction, state: MigrationState, plan: Plan, at date: Date, by actor: String)
        throws(TransitionRefusal) -> MigrationState? {
        guard case .rollback(let toPrevious) = action else { return nil }
        if toPrevious { return try PhaseMachine.apply(.rollback(), to: state, in: plan, at: date, by: actor, overriding: true) }
        guard state.rollout > .none else { return nil }
        return try PhaseMachine.apply(.setRollout(.none), to: state, in: plan, at: date, by: actor, overriding: true)
    }
}
