import Foundation
import MigrationCore
import PostgresNIO

/// The canonical text of the plan and the audit rows, read through the schema's `*_fields`
/// functions (the same ones the audit trigger hashes), and hashed here by ``AuditChain``:
/// the server extends the chain, migctl checks it with its own code.
enum CanonicalRows {
    /// The plan hash of the rows stored now (or of `migration` with the stored phases, while
    /// `init` builds the migration row).
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
