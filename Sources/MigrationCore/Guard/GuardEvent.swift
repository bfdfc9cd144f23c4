import Foundation

/// Something the guard tells people about: what happened to a migration, as one sentence and
/// the facts behind it. Webhooks receive it as JSON; `--exec` programs on their stdin.
///
/// ```json
/// {"event": "guard-fired", "at": "2026-11-26T03:12:09.120Z", "migration": "orders", "phase": "read-new",
///  "rollout": "25%", "version": 14, "text": "guard new-store-errors fired in read-new: …", "facts": {"guard": "new-store-errors"}}
/// ```
public struct GuardEvent: Sendable, Equatable, Codable {
    /// What kind of thing happened.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case phaseChanged = "phase-changed"
        case rolloutChanged = "rollout-changed"
        case guardFired = "guard-fired"
        case guardCleared = "guard-cleared"
        /// Every gate of the next phase passes, and the migration waits for an operator.
        case ready
        /// Every gate of the next phase passes but the approval.
        case approvalNeeded = "approval-needed"
        case approved
        case instanceLagging = "instance-lagging"
        case instanceStale = "instance-stale"
        case checklistComplete = "checklist-complete"
        case auditChainBroken = "audit-chain-broken"
    }

    public var kind: Kind
    public var at: Date
    /// The migration's name.
    public var migration: String
    /// The current phase and rollout when the guard saw the event.
    public var phase: String
    public var rollout: String
    public var version: Int64
    /// One sentence for people (a chat message, a log line).
    public var text: String
    /// The figures and names behind the sentence, e.g. `guard`, `observed`, `bound`, `actor`.
    public var facts: [String: String]

    public init(kind: Kind, at: Date, migration: String, phase: String, rollout: String, version: Int64, text: String,
                facts: [String: String] = [:]) {
        self.kind = kind
        self.at = at
        self.migration = migration
        self.phase = phase
        self.rollout = rollout
        self.version = version
        self.text = text
        self.facts = facts
    }

    enum CodingKeys: String, CodingKey {
        case kind = "event", at, migration, phase, rollout, version, text, facts
    }

    /// The event as one line of JSON: keys sorted, times as `2026-11-26T03:12:09.120Z`.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.string(date))
        }
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}
