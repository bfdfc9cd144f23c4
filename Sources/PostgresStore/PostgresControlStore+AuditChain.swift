import Foundation
import MigrationCore
import PostgresNIO

/// The canonical text of the plan and the audit rows, read through the schema's `*_fields`
/// functions (the same ones the audit trigger hashes), and hashed here by ``AuditChain``:
/// the server extends the chain, migctl checks it with its own code.
enum PlanText {
    static func hash(_ session: PostgresLink.Session, schema s: String, migration: [String?]? = nil) throws -> String {
        let migrationRow = try migration ?? fields(session, "SELECT \(unescaped: s).migration_fields(m) FROM \(unescaped: s).migration m").first ?? []
        return AuditChain.planHash(
            migration: migrationRow,
            phases: try fields(session, "SELECT \(unescaped: s).phase_fields(p) FROM \(unescaped: s).phases p ORDER BY p.position"),
            checklistItems: try fields(session, """
                SELECT \(unescaped: s).checklist_fields(c) FROM \(unescaped: s).checklist_items c
                JOIN \(unescaped: s).phases p ON p.id = c.phase ORDER BY p.position, c.item
                """))
    }

    /// Every audit row as the chain sees it, oldest first.
    static func chainRows(_ session: PostgresLink.Session, schema s: String, limit: Int64? = nil) throws -> [AuditChain.Row] {
        let limitClause = limit.map { " LIMIT \($0)" } ?? ""
        let rows = try session.records(PostgresQuery(unsafeSQL: """
            SELECT id, hash, array_to_json(\(s).audit_fields(a))::text AS fields FROM \(s).audit a ORDER BY id\(limitClause)
            """))
        return try rows.map { row in
            AuditChain.Row(id: (row["id"] as Int64?) ?? -1, fields: try decode((row["fields"] as String?) ?? "[]"),
                           hash: row["hash"] as String?)
        }
    }

    /// Each row's text array, through JSON so that NULL elements survive.
    private static func fields(_ session: PostgresLink.Session, _ query: PostgresQuery) throws -> [[String?]] {
        let wrapped = PostgresQuery(unsafeSQL: "SELECT array_to_json(f)::text AS fields FROM (\(query.sql)) AS q(f)", binds: query.binds)
        return try session.records(wrapped).map { row in try decode((row["fields"] as String?) ?? "[]") }
    }

    private static func decode(_ json: String) throws -> [String?] {
        try JSONDecoder().decode([String?].self, from: Data(json.utf8))
    }
}

extension PostgresControlStore {
    public func verifyAuditChain() throws(ControlStoreError) -> AuditChain.Break? {
        // One snapshot: a change committed between two reads must not look like tampering.
        try link.transaction(snapshot: true) { session -> AuditChain.Break? in
            let recorded = try session.records("SELECT plan_hash FROM \(unescaped: s).migration WHERE id = 1").first?["plan_hash"] as String?
            if let broken = AuditChain.verify(planHash: try PlanText.hash(session, schema: s), recordedPlanHash: recorded,
                                              rows: try PlanText.chainRows(session, schema: s)) {
                return broken
            }
            // The state must be what the newest audited change made it.
            guard let stateRow = try session.records("SELECT * FROM \(unescaped: s).state WHERE id = 1").first,
                  let change = try session.records("""
                      SELECT id, to_phase, to_rollout, version FROM \(unescaped: s).audit WHERE version IS NOT NULL ORDER BY id DESC LIMIT 1
                      """).first else { return nil }
            let state = try decodeOne(stateRow, table: "state", key: "1") { row throws(RowProblem) in try row.migrationState() }
            let audited = (change["to_phase"] as String?, change["to_rollout"] as Int64?, change["version"] as Int64?)
            guard audited.0 == state.phase, audited.1 == Int64(state.rollout.basisPoints), audited.2 == state.version else {
                return AuditChain.Break(row: change["id"] as Int64?, description: "the state (\(state.phase) at \(state.rollout.basisPoints) bp, version \(state.version)) is not what the newest audited change made it: it was changed without its audit row")
            }
            return nil
        }
    }

    public func auditChainHead() throws(ControlStoreError) -> (id: Int64, hash: String)? {
        guard let row = try read("SELECT id, hash FROM \(unescaped: s).audit ORDER BY id DESC LIMIT 1").first,
              let id = row["id"] as Int64?, let hash = row["hash"] as String? else { return nil }
        return (id, hash)
    }

    public func planTampering() throws(ControlStoreError) -> String? {
        try link.withConnection { session in
            let recorded = try session.records("SELECT plan_hash FROM \(unescaped: s).migration WHERE id = 1").first?["plan_hash"] as String?
            return AuditChain.verify(planHash: try PlanText.hash(session, schema: s), recordedPlanHash: recorded,
                                     rows: try PlanText.chainRows(session, schema: s, limit: 1))?.description
        }
    }
}
