import Foundation
import MigrationCore
import PostgresNIO

extension PostgresControlStore {
    public func verifyAuditChain() throws(ControlStoreError) -> AuditChain.Break? {
        // One snapshot: a change committed between two reads must not look like tampering.
        try link.transaction(snapshot: true) { session -> AuditChain.Break? in
            let recorded = try session.records("SELECT plan_hash FROM \(unescaped: s).migration WHERE id = 1").first?["plan_hash"] as String?
            if let broken = AuditChain.verify(planHash: try CanonicalRows.hash(session, schema: s), recordedPlanHash: recorded,
                                              rows: try CanonicalRows.chainRows(session, schema: s)) {
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
            return AuditChain.verify(planHash: try CanonicalRows.hash(session, schema: s), recordedPlanHash: recorded,
                                     rows: try CanonicalRows.chainRows(session, schema: s, limit: 1))?.description
        }
    }
}
