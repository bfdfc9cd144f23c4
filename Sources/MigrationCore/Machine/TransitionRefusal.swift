/// Why the plan forbids a requested change. Nothing is changed when one is thrown.
public enum TransitionRefusal: Error, Equatable, CustomStringConvertible {
    /// The current phase is the plan's last: there is nowhere to go.
    case atFinalPhase(String)
    /// Advancing needs the current, ramped phase at 100% first.
    case rolloutNotFull(phase: String, rollout: Rollout)
    /// `--to` named a phase other than the one next in the plan.
    case notTheNextPhase(asked: String, next: String)
    /// `--to` named a phase other than the previous one.
    case notThePreviousPhase(asked: String, previous: String)
    /// Rolling back would leave an irreversible phase: keys would move back across the point of no return.
    case pastPointOfNoReturn(current: String)
    /// The first phase has nothing before it.
    case atFirstPhase(String)
    /// Lowering the rollout of an irreversible phase would move keys back across the point of no return.
    case rolloutDownInIrreversible(phase: String, from: Rollout, to: Rollout)
    /// The phase takes every key at once; it has no rollout to set.
    case notRamped(String)
    /// The state names a phase the plan does not have (a damaged control database).
    case unknownPhase(String)

    public var description: String {
        switch self {
        case .atFinalPhase(let id):
            "'\(id)' is the last phase of the plan; there is nothing to advance to or roll back from."
        case .rolloutNotFull(let id, let rollout):
            "'\(id)' is at \(rollout), and advancing needs 100%; ramp it with 'migctl rollout 100' first."
        case .notTheNextPhase(let asked, let next):
            "the next phase is '\(next)', not '\(asked)'; phases advance one at a time, so check 'migctl status' and ask for '\(next)'."
        case .notThePreviousPhase(let asked, let previous):
            "the previous phase is '\(previous)', not '\(asked)'; phases roll back one at a time, so check 'migctl status'."
        case .pastPointOfNoReturn(let current):
            "rolling back from '\(current)' is refused: it is irreversible and the old store has missed writes since it began; reconcile forward as its runbook says."
        case .atFirstPhase(let id):
            "'\(id)' is the first phase; there is nothing to roll back to."
        case .rolloutDownInIrreversible(let id, let from, let to):
            "'\(id)' is irreversible, so its rollout may only go up (now \(from), asked \(to)); lowering it would move keys back across the point of no return."
        case .notRamped(let id):
            "'\(id)' is not a ramped phase; it takes every key at once, so it has no rollout to set."
        case .unknownPhase(let id):
            "the control database names phase '\(id)', which its plan does not have; restore the database from a backup."
        }
    }
}
