/// The audit log's hash chain: what makes a rewritten, deleted or reordered audit row, or a
/// plan changed after `init`, detectable (`migctl log --verify`).
///
/// The canonical form of a row is its fields in a fixed order, each written as
/// `<UTF-8 byte length>:<text>` (the text being SQLite's `CAST(field AS TEXT)`), or `-` for
/// NULL, with nothing between fields. Then:
///
///     plan_hash = sha256hex(canonical("migctl-plan-v1") + canonical(migration row)
///                           + canonical(each phases row, by position; its `automation`
///                                       appended only when it is not NULL)
///                           + canonical(each checklist_items row, by phase position then item))
///     hash(row 1) = sha256hex(utf8(plan_hash) + canonical(audit row 1))
///     hash(row n) = sha256hex(utf8(hash(row n-1)) + canonical(audit row n))
///
/// On a shared SQLite file this detects tampering; it cannot prevent it: whoever can write
/// the file can recompute every hash.
public enum AuditChain {
    /// The audit columns a row's hash covers, in order.
    public static let auditColumns = ["id", "at", "actor", "host", "action", "from_phase", "to_phase",
                                      "from_rollout", "to_rollout", "version", "reason", "details"]
    /// The columns of `migration`, `phases` and `checklist_items` the plan hash covers, in order.
    public static let migrationColumns = ["name", "created_at", "created_by"]
    public static let phaseColumns = ["position", "id", "title", "reads", "writes", "irreversible", "ramp",
                                      "runbook_path", "runbook", "gates"]
    public static let checklistColumns = ["phase", "item", "text"]

    /// The canonical bytes of `fields`.
    public static func canonical(_ fields: [String?]) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields {
            guard let field else {
                bytes.append(UInt8(ascii: "-"))
                continue
            }
            let utf8 = Array(field.utf8)
            bytes += Array(String(utf8.count).utf8)
            bytes.append(UInt8(ascii: ":"))
            bytes += utf8
        }
        return bytes
    }

    /// The hash of a plan as stored at `init`.
    public static func planHash(migration: [String?], phases: [[String?]], checklistItems: [[String?]]) -> String {
        var bytes = canonical(["migctl-plan-v1"]) + canonical(migration)
        for phase in phases { bytes += canonical(phase) }
        for item in checklistItems { bytes += canonical(item) }
        return SHA256.hex(bytes)
    }

    /// The hash of an audit row whose predecessor's hash (or the plan hash) is `previous`.
    public static func link(previous: String, row: [String?]) -> String {
        SHA256.hex(Array(previous.utf8) + canonical(row))
    }

    /// An audit row as the chain sees it.
    public struct Row: Sendable, Equatable {
        public var id: Int64
        /// The ``auditColumns`` as text.
        public var fields: [String?]
        public var hash: String?

        public init(id: Int64, fields: [String?], hash: String?) {
            self.id = id
            self.fields = fields
            self.hash = hash
        }
    }

    /// Where the chain first breaks, in one sentence.
    public struct Break: Error, Sendable, Equatable, CustomStringConvertible {
        /// The first audit row that does not verify; nil when the plan itself changed.
        public var row: Int64?
        public var description: String

        public init(row: Int64?, description: String) {
            self.row = row
            self.description = description
        }
    }

    /// Walks the chain from the plan to the newest row.
    /// - Parameters:
    ///   - planHash: the plan hash recomputed from the stored plan now.
    ///   - recordedPlanHash: the plan hash recorded at `init`.
    ///   - rows: every audit row, by id.
    /// - Returns: nil when every row verifies, else the first break.
    public static func verify(planHash: String, recordedPlanHash: String?, rows: [Row]) -> Break? {
        guard planHash == recordedPlanHash else {
            return Break(row: nil, description: "the plan was changed after init: the phases, the migration or the checklists no longer match the hash recorded then")
        }
        var previous = planHash
        var previousID: Int64 = 0
        for row in rows {
            if row.id != previousID + 1 {
                let missing = row.id > previousID + 2 ? "rows \(previousID + 1)–\(row.id - 1) are" : "row \(previousID + 1) is"
                return Break(row: row.id, description: "audit \(missing) missing before row \(row.id): deleted, or the ids were rewritten")
            }
            guard let hash = row.hash else {
                return Break(row: row.id, description: "audit row \(row.id) has no hash: it was written without extending the chain (see the README's contract)")
            }
            guard hash == link(previous: previous, row: row.fields) else {
                return Break(row: row.id, description: "audit row \(row.id) does not match its hash: it was rewritten, or inserted out of order")
            }
            previous = hash
            previousID = row.id
        }
        return nil
    }
}
