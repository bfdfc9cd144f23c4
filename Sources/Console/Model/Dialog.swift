import MigrationCore

/// A modal question on top of a view: confirm a change, type a rollout, or read a refusal.
public struct Dialog: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Confirm `request`, computed against state `version`, with a reason.
        case change(PhaseRequest, preview: MigrationState, version: Int64)
        /// Type a rollout percentage for the current phase.
        case rolloutPrompt
        /// The move is refused; say why.
        case refusal(String)
    }

    public var kind: Kind
    public var title: String
    /// What the operator has typed: the reason, or the percentage.
    public var input: String = ""
    /// A problem with the last Enter, shown in the dialog.
    public var error: String?

    public init(kind: Kind, title: String) {
        self.kind = kind
        self.title = title
    }
}
