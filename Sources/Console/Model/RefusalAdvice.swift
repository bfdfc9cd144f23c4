import MigrationCore

/// What the console says when the plan or the store refuses a move: the problem, then only
/// what can work from this screen, naming the console's keys rather than `migctl` commands.
enum RefusalAdvice {
    /// The refusal of the phase machine, in the console's words.
    static func sentence(_ refusal: TransitionRefusal) -> String {
        switch refusal {
        case .rolloutNotFull:
            "\(refusal.problem): ramp it first (\(KeyBinding.label(for: .rolloutUp)) steps up the ladder, \(KeyBinding.label(for: .rolloutPrompt)) sets any value)."
        default:
            refusal.problem + "."
        }
    }

    /// A failure of a move the operator confirmed, in the console's words.
    static func sentence(_ error: ControlError) -> String {
        switch error {
        case .refused(let refusal):
            return sentence(refusal)
        case .gatesFailed(let report, _):
            let count = report.blocking.count
            return "\(count) gate\(count == 1 ? "" : "s") of '\(report.target)' did not pass when it was checked again; nothing changed. "
                + "\(KeyBinding.label(for: .advance)) shows them with their figures."
        default:
            return error.description
        }
    }

    /// The lines under an advance refused for its gates: an override key only when every
    /// blocking gate may be overridden and the console may change the migration.
    static func gateAdvice(_ report: GateReport, readOnly: Bool) -> [String] {
        let stuck = report.blocking.filter { !$0.overridable }
        if !stuck.isEmpty {
            let names = stuck.map { "'\($0.label)'" }.joined(separator: ", ")
            return ["Advancing waits until every gate passes; \(names) cannot be overridden, so no override is offered."]
        }
        if readOnly { return ["Advancing waits until every gate passes (a read-only console cannot override)."] }
        return ["Advancing waits until every gate passes, or \(DialogKeys.overrideLabel) overrides them: you type a reason, and the override is audited."]
    }
}
