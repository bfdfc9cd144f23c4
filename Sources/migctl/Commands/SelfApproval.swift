import MigrationCore

/// An approval by the operator who is moving the migration: the one who made its last state
/// change. An approval counts only for another operator's advance, so theirs would not count
/// for the advance they are about to make, and it is refused rather than recorded: a
/// recorded one reads in the audit log like a second operator's consent it is not, and
/// `migctl approve` exiting 0 let the operator believe the gate was met.
struct SelfApproval: Error, CustomStringConvertible {
    let phase: String
    let actor: String
    let state: MigrationState

    /// The refusal when `signer` made `state`'s last change; nil when someone else did.
    static func check(phase: String, by signer: Operator, state: MigrationState) -> SelfApproval? {
        Operator.isSamePerson(state.changedBy, signer.name) ? SelfApproval(phase: phase, actor: signer.name, state: state) : nil
    }

    var description: String {
        "\(actor) made this migration's last change (version \(state.version), \(state.phase) at \(state.rollout)), and an approval "
            + "never counts for its approver's own advance, so this one was not recorded: a second operator runs 'migctl approve \(phase)'."
    }
}
