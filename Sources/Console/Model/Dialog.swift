import MigrationCore

/// A modal question on top of a view: confirm a change, type a rollout, or read a refusal.
public struct Dialog: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Confirm `request`, computed against state `version`, with a reason.
        case change(PhaseRequest, preview: MigrationState, version: Int64)
        /// Advance into the next phase: its gates, then (if irreversible) the typed id, then a reason.
        case advance(GateReport, preview: MigrationState, version: Int64, confirmed: Bool)
        /// Type a rollout percentage for the current phase.
        case rolloutPrompt
        /// Type a rate limit (rows a second, 0: none) for `job`.
        case jobRatePrompt(Job)
        /// The move is refused; say why, with any runbook text that helps (e.g. how to reconcile).
        case refusal(String, detail: [String])
        /// Clear one of the fired guards `firings` (as read when the dialog opened): choose it
        /// (`selected`, when there are several), then type a reason.
        case clearGuard([GuardFiring], selected: Int, chosen: Bool)
        /// Ask before `q` ends something that outlives the question (the demo's service):
        /// `question` says what; `y` quits, any other key keeps it running.
        case confirmQuit(String)
    }

    public var kind: Kind
    public var title: String
    /// What the operator types, with its cursor: the reason, the confirmation, the percentage or the rate.
    public var input = LineEditor()
    /// Whether `input` was filled in with the reason of the previous ramp step (the dialog says so).
    public var offersPreviousReason = false
    /// A problem with the last Enter, shown in the dialog.
    public var error: String?
    /// What confirming overrides, in one sentence (failing gates, a ramp-down that strands
    /// copies), or nil when nothing is overridden: the change is then sent with `force`.
    public var overriding: String?

    public init(kind: Kind, title: String) {
        self.kind = kind
        self.title = title
    }

    /// The firing a clear-guard dialog has chosen (or points at, while choosing).
    public var guardFiring: GuardFiring? {
        guard case .clearGuard(let firings, let selected, _) = kind, firings.indices.contains(selected) else { return nil }
        return firings[selected]
    }
}
