extension AuditEvent {
    /// What the event did, for people: `advance  read-new → new-primary  100% → 0%  "reason"`.
    /// Terminal-safe: names and reasons come from the database.
    public func summary(arrow: String = "→") -> String {
        var parts = [action.terminalSafe]
        switch (fromPhase, toPhase) {
        case let (from?, to?) where from != to: parts.append("\(from.terminalSafe) \(arrow) \(to.terminalSafe)")
        case let (_, to?): parts.append(to.terminalSafe)
        default: break
        }
        switch (fromRollout, toRollout) {
        case let (from?, to?) where from != to: parts.append("\(from) \(arrow) \(to)")
        case let (_, to?): parts.append("\(to)")
        default: break
        }
        if let reason, !reason.isEmpty { parts.append("\"\(reason.terminalSafe)\"") }
        return parts.joined(separator: "  ")
    }
}
