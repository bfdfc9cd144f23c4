/// What a move means for the old store and for rolling back, in sentences true for the phases
/// involved: the console's dialogs, the dashboard and `migctl` say the same thing.
///
/// A plan's irreversible phases are where the old store starts to miss writes. The first one
/// is the point of no return; after it the point is behind, and what changes is how much the
/// old store still gets (best-effort writes in `new-primary`, none in `new-only`). The plan's
/// last phase is final: nothing rolls back from it, irreversible or not.
public enum PointOfNoReturn {
    /// How the console labels the phase an advance would enter.
    public enum Label: String, Sendable {
        case irreversible = "IRREVERSIBLE"
        case final = "final: no way back"
        case reversible = "reversible"
    }

    /// The label of `target` in `plan`.
    public static func label(of target: Phase, in plan: Plan) -> Label {
        if target.irreversible { return .irreversible }
        return plan.phases.last?.id == target.id ? .final : .reversible
    }

    /// The warning an advance from `current` into `target` deserves, or nil when rolling back
    /// from `target` stays possible.
    public static func warning(entering target: Phase, from current: Phase, in plan: Plan) -> String? {
        if !target.irreversible {
            guard plan.phases.last?.id == target.id else { return nil }
            return "'\(target.id)' is the plan's last phase: once it is entered, nothing rolls back from it."
        }
        let oldStore = target.writes.contains(.old)
            ? "the old store's writes become best effort (a failed one is not retried)"
            : "they stop writing the old store at all"
        let keys = target.ramp ? "Keys that enter '\(target.id)' as its rollout rises" : "Every key, at once, on entering '\(target.id)'"
        let back = target.ramp ? "Once its rollout is above 0%, rolling back is refused" : "Rolling back from it is refused"
        if current.irreversible {
            return "The point of no return is behind ('\(current.id)' is irreversible too). \(keys): \(oldStore). \(back), as it is now."
        }
        return "POINT OF NO RETURN. \(keys) write the new store first, and \(oldStore). \(back) and problems must be reconciled forward."
    }
}
