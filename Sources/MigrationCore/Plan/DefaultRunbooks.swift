extension Plan {
    /// The runbook text of each phase of the default plan, by phase id, compiled in from
    /// the package's `Runbooks/` folder so the binary needs no files beside it.
    public static var defaultRunbooks: [String: String] {
        var byPhase: [String: String] = [:]
        for phase in Plan.default.phases {
            if let file = phase.runbook, let text = EmbeddedRunbooks.files[file] { byPhase[phase.id] = text }
        }
        return byPhase
    }
}
