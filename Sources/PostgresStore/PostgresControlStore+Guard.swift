import Foundation
import GRDB
import MigrationCore
import PostgresNIO

/// The guard's lease and fired guards on the server (schema 4). The lease row is locked
/// (`FOR UPDATE`) by every claim and every fenced write, and judged by the server's clock, so
/// two guards on different hosts never both act.
extension PostgresControlStore {
    public func guardLease() throws(ControlStoreError) -> GuardLease? {
        guard let row = try read("SELECT * FROM \(unescaped: s).guard_lease WHERE id = 1").first else { return nil }
        return try decodeOne(row, table: "guard_lease", key: "1") { row throws(RowProblem) in try row.guardLease() }
    }

    public func claimGuardLease(_ claim: GuardClaim, at date: Date) throws(ControlStoreError) -> GuardLease {
        try link.transaction { session in
            let (current, now) = try lockedLease(session)
            guard let (lease, takeover) = GuardLease.claiming(current, claim, at: now) else {
                guard let current else { throw ControlStoreError.io(path: location, message: "the guard lease row vanished while it was claimed") }
                return current
            }
            try session.execute("""
                INSERT INTO \(unescaped: s).guard_lease (id, holder, host, pid, epoch, acquired_at, renewed_at, expires_at, status)
                VALUES (1, \(lease.holder), \(lease.host), \(lease.pid), \(lease.epoch), \(Timestamp.string(lease.acquiredAt))::timestamptz,
                        \(Timestamp.string(lease.renewedAt))::timestamptz, \(Timestamp.string(lease.expiresAt))::timestamptz, \(lease.status))
                ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, host = excluded.host, pid = excluded.pid, epoch = excluded.epoch,
                  acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at,
                  status = excluded.status
                """)
            if takeover { try insert(lease.takeoverEvent(previous: current, actor: claim.actor), session) }
            return lease
        }
    }

    public func releaseGuardLease(_ lease: GuardLease) throws(ControlStoreError) {
        try link.withConnection { session in
            try session.execute("""
                UPDATE \(unescaped: s).guard_lease SET expires_at = renewed_at
                WHERE id = 1 AND holder = \(lease.holder) AND epoch = \(lease.epoch)
                """)
        }
    }

    public func guardWrite(_ write: GuardWrite, at date: Date) throws(ControlStoreError) {
        try link.transaction { session in
            let (current, now) = try lockedLease(session)
            guard write.lease.fences(current, at: now) else { throw ControlStoreError.leaseLost(holder: current?.holder) }
            for event in write.events { try insert(event, session) }
            if let change = write.change { try commitState(change.new, replacing: change.old, event: change.event, session) }
            if let firing = write.firing {
                try session.execute("""
                    INSERT INTO \(unescaped: s).guard_firings (guard, phase, action, observed, bound, sentence)
                    VALUES (\(firing.name), \(firing.phase), \(firing.action), \(String(firing.observed.prefix(2000))),
                            \(String(firing.bound.prefix(2000))), \(String(firing.sentence.prefix(2000))))
                    """)
            }
        }
    }

    public func guardFirings(openOnly: Bool, limit: Int) throws(ControlStoreError) -> [GuardFiring] {
        let rows = try read(PostgresQuery(unsafeSQL: """
            SELECT * FROM \(s).guard_firings \(openOnly ? "WHERE cleared_at IS NULL" : "") ORDER BY id DESC LIMIT \(max(0, limit))
            """))
        return decodeEach(rows, table: "guard_firings", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in
            try row.guardFiring()
        }
    }

    public func clearGuard(name: String, event: AuditEvent) throws(ControlStoreError) -> GuardFiring? {
        try link.transaction { session in
            // Locked first, so that the audit row (which the server requires before the clear) is only
            // written for a firing that is still open.
            guard try !session.records("""
                SELECT id FROM \(unescaped: s).guard_firings WHERE guard = \(name) AND cleared_at IS NULL FOR UPDATE
                """).isEmpty else { return nil }
            try insert(event, session)
            guard let row = try session.records("""
                UPDATE \(unescaped: s).guard_firings SET clear_reason = \(String((event.reason ?? "").prefix(2000)))
                WHERE guard = \(name) AND cleared_at IS NULL RETURNING *
                """).first else { return nil }
            return try decodeOne(row, table: "guard_firings", key: name) { row throws(RowProblem) in try row.guardFiring() }
        }
    }

    /// The lease row locked for this transaction, and the server's time.
    private func lockedLease(_ session: PostgresLink.Session) throws -> (GuardLease?, Date) {
        // Serialises claims and fenced writes, even before the row exists. A table lock: a login that
        // may only read the lease cannot take it (an advisory lock anyone could hold).
        try session.execute("LOCK TABLE \(unescaped: s).guard_lease IN SHARE ROW EXCLUSIVE MODE")
        // The clock now, after any wait for the lock (now() is the transaction's start).
        let now = try session.records("SELECT date_trunc('milliseconds', clock_timestamp()) AS now").first
            .flatMap { ($0["now"] as String?).flatMap(Timestamp.date) } ?? Date()
        guard let row = try session.records("SELECT * FROM \(unescaped: s).guard_lease WHERE id = 1 FOR UPDATE").first else { return (nil, now) }
        return (try decodeOne(row, table: "guard_lease", key: "1") { row throws(RowProblem) in try row.guardLease() }, now)
    }
}
