/// One of the two data stores a migration moves between.
public enum DataStore: String, Sendable, Codable, CaseIterable {
    case old
    case new
}

/// Where a phase reads a record from.
public enum ReadMode: String, Sendable, Codable, CaseIterable {
    /// Only the old store.
    case old
    /// The new store; on a miss, the old one, and the record is copied to the new store.
    case newFallbackOld = "new-fallback-old"
    /// Only the new store.
    case new
}

/// One step of a migration plan: how reads and writes are routed while it is current.
///
/// A phase is data: the phase machine decides which moves between phases are
/// allowed, and the client library routes each request by the phase its key gets.
public struct Phase: Sendable, Equatable, Codable {
    /// Stable identifier, e.g. `new-primary`; typed by operators to confirm a move.
    public var id: String
    /// A short human title for the console.
    public var title: String
    /// Where reads go.
    public var reads: ReadMode
    /// The stores written, primary first. The primary must succeed; the others are best effort.
    public var writes: [DataStore]
    /// Once entered, the migration can never go back to an earlier phase:
    /// the old store has started to miss writes.
    public var irreversible: Bool
    /// Whether keys move into this phase gradually with a rollout percentage.
    /// A phase that is not ramped takes every key at once (rollout 100%).
    public var ramp: Bool
    /// Path of the phase's runbook as the plan names it (informational once the plan is stored).
    public var runbook: String?
    /// The checks that must pass before the migration may advance into this phase.
    public var gates: [Gate]
    /// What the guard watches and does by itself while this phase is current (guards, an
    /// automatic ramp), and whether it may advance into it.
    public var automation: PhaseAutomation

    public init(
        id: String, title: String, reads: ReadMode, writes: [DataStore],
        irreversible: Bool = false, ramp: Bool = true, runbook: String? = nil, gates: [Gate] = [],
        automation: PhaseAutomation = PhaseAutomation()
    ) {
        self.gates = gates
        self.automation = automation
        self.id = id
        self.title = title
        self.reads = reads
        self.writes = writes
        self.irreversible = irreversible
        self.ramp = ramp
        self.runbook = runbook
    }

    enum CodingKeys: String, CodingKey {
        case id, title, reads, writes, irreversible, ramp, runbook, gates, automation
    }

    /// Decodes a phase; one written before guards existed has no automation.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id), title: try c.decode(String.self, forKey: .title),
                  reads: try c.decode(ReadMode.self, forKey: .reads), writes: try c.decode([DataStore].self, forKey: .writes),
                  irreversible: try c.decode(Bool.self, forKey: .irreversible), ramp: try c.decode(Bool.self, forKey: .ramp),
                  runbook: try c.decodeIfPresent(String.self, forKey: .runbook), gates: try c.decode([Gate].self, forKey: .gates),
                  automation: try c.decodeIfPresent(PhaseAutomation.self, forKey: .automation) ?? PhaseAutomation())
    }

    /// The store whose write must succeed for a request to succeed.
    public var primary: DataStore { writes[0] }

    /// Whether deletes leave tombstones in the new store: wherever reads can still fall back to
    /// the old store, or a fallback read, a copy on a miss racing the delete, or the backfill
    /// would bring the deleted record back. (Before schema 5 only once the new store was
    /// primary: in `read-new` a copy on a miss that raced a delete of the same key could
    /// re-insert it.) The `phases.tombstones` column of the control database is the same rule
    /// in SQL (``Phase/tombstonesSQL``).
    public static func deletesLeaveTombstones(primary: DataStore, reads: ReadMode) -> Bool {
        reads == .newFallbackOld
    }

    /// ``deletesLeaveTombstones(primary:reads:)`` over the `phases` table's columns.
    public static let tombstonesSQL = "(reads = 'new-fallback-old')"

    public var deletesLeaveTombstones: Bool { Self.deletesLeaveTombstones(primary: primary, reads: reads) }
}
