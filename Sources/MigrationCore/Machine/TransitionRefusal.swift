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
    /// Rolling back would leave an irreversible phase whose rollout is above 0%: the keys in it
    /// would move back across the point of no return. `writesOld` says whether the phase still
    /// writes the old store (best effort) or not at all, so the sentence is true for it.
    case pastPointOfNoReturn(current: String, rollout: Rollout, writesOld: Bool)
    /// The first phase has nothing before it.
    case atFirstPhase(String)
    /// Lowering the rollout of an irreversible phase would move keys back across the point of no return.
    case rolloutDownInIrreversible(phase: String, from: Rollout, to: Rollout)
    /// Lowering the rollout of `phase` (or rolling back out of it, `to` then `.none`) would make
    /// the keys leaving it stop writing `store`, which already holds their copies: the copies
    /// would go stale. Overridable with a reason (``isOverridable``).
    case strandsCopies(phase: String, store: DataStore, from: Rollout, to: Rollout, rollback: Bool)
    /// The phase takes every key at once; it has no rollout to set.
    case notRamped(String)
    /// The state names a phase the plan does not have (a damaged control database).
    case unknownPhase(String)

    /// Whether an operator may override the refusal with a reason (`--force --reason`, or the
    /// console's override key): the move is allowed but harms data the operator can repair.
    public var isOverridable: Bool {
        if case .strandsCopies = self { return true }
        return false
    }

    /// The refusal and what to do, naming `migctl` commands: what the CLI prints.
    public var description: String {
        if let remedy = commandRemedy { return problem + "; " + remedy + "." }
        return problem + "."
    }

    /// What the command line would do about it, or nil when ``problem`` already says all.
    /// The console names its own keys instead.
    public var commandRemedy: String? {
        switch self {
        case .rolloutNotFull: "ramp it with 'migctl rollout 100' first"
        case .strandsCopies(_, let store, _, _, _):
            "keep the rollout, or override with --force --reason TEXT once you have planned to purge or re-copy those keys in the \(store.rawValue) store"
        default: nil
        }
    }

    /// What is wrong, without naming how to act on it, so every surface can add its own way.
    public var problem: String {
        switch self {
        case .atFinalPhase(let id):
            "'\(id)' is the last phase of the plan; there is nothing to advance to or roll back from"
        case .rolloutNotFull(let id, let rollout):
            "'\(id)' is at \(rollout), and advancing needs 100%"
        case .notTheNextPhase(let asked, let next):
            "the next phase is '\(next)', not '\(asked)'; phases advance one at a time, so check 'migctl status' and ask for '\(next)'"
        case .notThePreviousPhase(let asked, let previous):
            "the previous phase is '\(previous)', not '\(asked)'; phases roll back one at a time, so check 'migctl status'"
        case .pastPointOfNoReturn(let current, let rollout, let writesOld):
            "rolling back from '\(current)' is refused: it is irreversible, and its \(rollout) of keys "
                + (writesOld ? "write the new store first, so the old store's copies of them may lack writes (there its writes are best effort)"
                             : "no longer write the old store at all")
                + "; reconcile forward as its runbook says"
        case .atFirstPhase(let id):
            "'\(id)' is the first phase; there is nothing to roll back to"
        case .rolloutDownInIrreversible(let id, let from, let to):
            "'\(id)' is irreversible, so its rollout may only go up (now \(from), asked \(to)); lowering it would move keys back across the point of no return"
        case .strandsCopies(let id, let store, let from, let to, let rollback):
            (rollback ? "rolling back from '\(id)' at \(from)" : "lowering the rollout of '\(id)' from \(from) to \(to)")
                + " is refused: the keys leaving it would stop writing the \(store.rawValue) store, which already holds their copies, and those copies would go stale"
        case .notRamped(let id):
            "'\(id)' is not a ramped phase; it takes every key at once, so it has no rollout to set"
        case .unknownPhase(let id):
            "the control database names phase '\(id)', which its plan does not have; restore the database from a backup"
        }
    }
}
