import Foundation
import GRDB

extension SQLiteControlStore {
    /// Appends `event` to the audit log, extending the hash chain (see ``AuditChain``).
    static func insert(_ event: AuditEvent, _ db: Database) throws {
        let last = try Int64.fetchOne(db, sql: "SELECT COALESCE(max(id), 0) FROM audit") ?? 0
        guard last < Int64.max else { throw ControlStoreError.io(path: db.description, message: "the audit log's ids are exhausted (a row has id \(last)); restore the file from a backup") }
        let id = last + 1
        let previous = try String.fetchOne(db, sql: "SELECT hash FROM audit ORDER BY id DESC LIMIT 1")
            ?? String.fetchOne(db, sql: "SELECT plan_hash FROM migration WHERE id = 1") ?? ""
        let values: [(any DatabaseValueConvertible)?] = [
            id, Timestamp.string(event.at), event.actor, event.host, event.action, event.fromPhase, event.toPhase,
            event.fromRollout.map { Int64($0.basisPoints) }, event.toRollout.map { Int64($0.basisPoints) }, event.version,
            event.reason, event.details,
        ]
        let fields: [String?] = values.map { value in
            switch value?.databaseValue.storage {
            case .int64(let number)?: String(number)
            case .string(let text)?: text
            default: nil
            }
        }
        try db.execute(sql: """
            INSERT INTO audit (\(AuditChain.auditColumns.joined(separator: ", ")), hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: StatementArguments(values + [AuditChain.link(previous: previous, row: fields)]))
    }

    /// The plan hash of the rows stored now (``AuditChain/planHash(migration:phases:checklistItems:)``).
    static func planHash(_ db: Database, migration: [String?]? = nil) throws -> String {
        func text(_ sql: String) throws -> [[String?]] {
            try Row.fetchAll(db, sql: sql).map { row in (0..<row.count).map { row[$0] as String? } }
        }
        func cast(_ columns: [String], prefix: String = "") -> String {
            columns.map { "CAST(\(prefix)\($0) AS TEXT)" }.joined(separator: ", ")
        }
        let migrationRow = try migration ?? text("SELECT \(cast(AuditChain.migrationColumns)) FROM migration WHERE id = 1").first ?? []
        // Schema 4's `automation` counts only when a phase has some (see AuditChain): a file
        // upgraded from an older schema keeps its plan hash.
        let hasAutomation = try Row.fetchAll(db, sql: "PRAGMA table_info(phases)").contains { ($0["name"] as String?) == "automation" }
        let phases = try text("SELECT \(cast(AuditChain.phaseColumns + (hasAutomation ? ["automation"] : []))) FROM phases ORDER BY position")
        return AuditChain.planHash(
            migration: migrationRow,
            phases: phases.map { hasAutomation && $0.last == .some(nil) ? Array($0.dropLast()) : $0 },
            checklistItems: try text("""
                SELECT \(cast(AuditChain.checklistColumns, prefix: "c.")) FROM checklist_items c
                JOIN phases p ON p.id = c.phase ORDER BY p.position, c.item
                """))
    }

    /// Every audit row as the chain sees it, oldest first.
    static func chainRows(_ db: Database) throws -> [AuditChain.Row] {
        let columns = AuditChain.auditColumns.map { "CAST(\($0) AS TEXT)" }.joined(separator: ", ")
        return try Row.fetchAll(db, sql: "SELECT \(columns), CAST(hash AS TEXT), id FROM audit ORDER BY id").map { row in
            let count = AuditChain.auditColumns.count
            return AuditChain.Row(id: (row[count + 1] as Int64?) ?? -1, fields: (0..<count).map { row[$0] as String? },
                                  hash: row[count] as String?)
        }
    }

    /// Walks the audit log's hash chain from the plan to the newest row.
    /// - Returns: nil when intact, else where it first breaks.
    public func verifyAuditChain() throws(ControlStoreError) -> AuditChain.Break? {
        try read { db in
            if let broken = AuditChain.verify(planHash: try Self.planHash(db),
                                              recordedPlanHash: try String.fetchOne(db, sql: "SELECT CAST(plan_hash AS TEXT) FROM migration WHERE id = 1"),
                                              rows: try Self.chainRows(db)) {
                return broken
            }
            // The state must be what the newest audited change made it.
            let state = try Row.fetchOne(db, sql: "SELECT CAST(phase AS TEXT), CAST(rollout AS TEXT), CAST(version AS TEXT) FROM state WHERE id = 1")
            let change = try Row.fetchOne(db, sql: """
                SELECT id, CAST(to_phase AS TEXT), CAST(to_rollout AS TEXT), CAST(version AS TEXT) FROM audit
                WHERE version IS NOT NULL ORDER BY id DESC LIMIT 1
                """)
            guard let state, let change else { return nil }
            let stored = (0..<3).map { state[$0] as String? }, audited = (1..<4).map { change[$0] as String? }
            guard stored == audited else {
                return AuditChain.Break(row: change[0] as Int64?, description: "the state (\(stored[0] ?? "?") at \(stored[1] ?? "?") bp, version \(stored[2] ?? "?")) is not what the newest audited change (row \((change[0] as Int64?) ?? 0): \(audited[0] ?? "?") at \(audited[1] ?? "?") bp, version \(audited[2] ?? "?")) made it: it was changed without its audit row, or audit rows were removed")
            }
            return nil
        }
    }

    /// The newest audit row's id and hash: an anchor to keep outside the file, since whoever
    /// can write the file can recompute the whole chain.
    public func auditChainHead() throws(ControlStoreError) -> (id: Int64, hash: String)? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, CAST(hash AS TEXT) FROM audit ORDER BY id DESC LIMIT 1"),
                  let id = row[0] as Int64?, let hash = row[1] as String? else { return nil }
            return (id, hash)
        }
    }

    /// Why the stored plan cannot be trusted to run programs, or nil: it must still hash to
    /// what `init` recorded, and the first audit event must still be linked to that hash.
    public func planTampering() throws(ControlStoreError) -> String? {
        try read { db in
            let recorded = try String.fetchOne(db, sql: "SELECT CAST(plan_hash AS TEXT) FROM migration WHERE id = 1")
            let rows = try Self.chainRows(db).prefix(1)
            return AuditChain.verify(planHash: try Self.planHash(db), recordedPlanHash: recorded, rows: Array(rows))?.description
        }
    }

    /// Version 2 of a version-1 file: records the plan hash and chains the audit rows
    /// already there, before the rules that forbid changing either are created.
    static func chainExistingRows(_ db: Database) throws {
        try db.execute(sql: "UPDATE migration SET plan_hash = ? WHERE id = 1", arguments: [try planHash(db)])
        try db.execute(sql: "DROP TRIGGER IF EXISTS audit_is_append_only_update")
        var previous = try String.fetchOne(db, sql: "SELECT plan_hash FROM migration WHERE id = 1") ?? ""
        for row in try chainRows(db) {
            previous = AuditChain.link(previous: previous, row: row.fields)
            try db.execute(sql: "UPDATE audit SET hash = ? WHERE id = ?", arguments: [previous, row.id])
        }
        try db.execute(sql: """
            CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
              BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
            """)
    }
}
