/// An ordered list of phases: the route a migration takes from the old store to the new one.
///
/// The plan is copied into the control database at `init`, so every process of the
/// fleet and every operator's console agree on it.
///
/// ```swift
/// let plan = Plan.default
/// plan.next(after: "read-new")?.id   // "new-primary"
/// ```
public struct Plan: Sendable, Equatable, Codable {
    /// The phases in the order the migration goes through them; never empty.
    public let phases: [Phase]

    /// A plan from already-validated phases. Use ``PlanFile`` to read one from YAML.
    public init(phases: [Phase]) {
        precondition(!phases.isEmpty, "a plan has at least one phase")
        self.phases = phases
    }

    /// How long an instance may route by a state it could not refresh before it says, in its
    /// heartbeat, that it is stale: the shortest heartbeat window of the plan's fleet gates
    /// (the window they judge an instance by), or 60 seconds when the plan has none.
    public var servingLeaseSeconds: Int64 {
        let windows = phases.flatMap(\.gates).compactMap { gate -> Int64? in
            if case .fleet(let seconds) = gate.kind { return seconds }
            return nil
        }
        return max(1, windows.min() ?? 60)
    }

    /// The first phase, where `init` starts the migration.
    public var first: Phase { phases[0] }

    /// The phase with `id`, if the plan has one.
    public func phase(_ id: String) -> Phase? { phases.first { $0.id == id } }

    /// The position of the phase with `id` in the plan.
    public func index(of id: String) -> Int? { phases.firstIndex { $0.id == id } }

    /// The phase after `id`, or nil at the end of the plan.
    public func next(after id: String) -> Phase? {
        guard let i = index(of: id), i + 1 < phases.count else { return nil }
        return phases[i + 1]
    }

    /// The phase before `id`, or nil at the start of the plan.
    public func previous(before id: String) -> Phase? {
        guard let i = index(of: id), i > 0 else { return nil }
        return phases[i - 1]
    }

    /// The first irreversible phase: the point of no return, if the plan has one.
    public var pointOfNoReturn: Phase? { phases.first(where: \.irreversible) }
}
