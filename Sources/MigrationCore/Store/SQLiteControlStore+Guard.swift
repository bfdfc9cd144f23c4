import Foundation
import GRDB

/// The guard's lease and fired guards in the SQLite file (schema 4). Every write of the
/// acting guard checks its lease in the same IMMEDIATE transaction, so a guard that lost it
/// writes nothing.
extension SQLiteControlStore {
    public func guardLease() throws(ControlStoreError) -> GuardLease? {
        try read { db in try fetchLease(db) }
    }

    public func claimGuardLease(_ claim: GuardClaim, at date: Date) throws(ControlStoreError) -> GuardLease {
        var result: GuardLease?
        try write { db in
            let current = try fetchLease(db)
            guard let (lease, takeover) = GuardLease.claiming(current, claim, at: date) else {
                result = current
                return
            }
            try db.execute(sql: """
                INSERT INTO guard_lease (id, holder, host, pid, epoch, acquired_at, renewed_at, expires_at, status)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, host = excluded.host, pid = excluded.pid, epoch = excluded.epoch,
                  acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at,
                  status = excluded.status
                """, arguments: [lease.holder, lease.host, lease.pid, lease.epoch, Timestamp.string(lease.acquiredAt),
                                 Timestamp.string(lease.renewedAt), Timestamp.string(lease.expiresAt), lease.status])
            if takeover { try Self.insert(lease.takeoverEvent(previous: current, actor: claim.actor), db) }
            result = lease
        }
        guard let result else { throw .io(path: location, message: "the guard lease row vanished while it was claimed") }
        return result
    }

    public func releaseGuardLease(_ lease: GuardLease) throws(ControlStoreError) {
        try write { db in
            try db.execute(sql: "UPDATE guard_lease SET expires_at = renewed_at WHERE id = 1 AND holder = ? AND epoch = ?",
                           arguments: [lease.holder, lease.epoch])
        }
    }

    public func guardWrite(_ write: GuardWrite, at date: Date) throws(ControlStoreError) {
        try self.write { db in
            let current = try fetchLease(db)
            guard write.lease.fences(current, at: date) else { throw ControlStoreError.leaseLost(holder: current?.holder) }
            for event in write.events { try Self.insert(event, db) }
            if let change = write.change { try commitState(change.new, replacing: change.old, event: change.event, db) }
            if let firing = write.firing {
                try db.execute(sql: """
                    INSERT INTO guard_firings (guard, phase, action, fired_at, fired_by, observed, bound, sentence)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [firing.name, firing.phase, firing.action, Timestamp.string(firing.firedAt), firing.firedBy,
                                     String(firing.observed.prefix(2000)), String(firing.bound.prefix(2000)),
                                     String(firing.sentence.prefix(2000))])
            }
        }
    }

    public func guardFirings(openOnly: Bool, limit: Int) throws(ControlStoreError) -> [GuardFiring] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM guard_firings \(openOnly ? "WHERE cleared_at IS NULL" : "") ORDER BY id DESC LIMIT ?
                """, arguments: [max(0, limit)])
            return decodeEach(rows, table: "guard_firings", key: { StoredRow.keyText($0, "id") }) { row throws(RowProblem) in
                try row.guardFiring()
            }
        }
    }

    public func clearGuard(name: String, event: AuditEvent) throws(ControlStoreError) -> GuardFiring? {
        var cleared: GuardFiring?
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM guard_firings WHERE guard = ? AND cleared_at IS NULL", arguments: [name])
            else { return }
            var firing = try decodeOne(row, table: "guard_firings", key: name) { row throws(RowProblem) in try row.guardFiring() }
            try db.execute(sql: "UPDATE guard_firings SET cleared_at = ?, cleared_by = ?, clear_reason = ? WHERE id = ?",
                           arguments: [Timestamp.string(event.at), event.actor, event.reason ?? "", firing.id])
            try Self.insert(event, db)
            (firing.clearedAt, firing.clearedBy, firing.clearReason) = (event.at, event.actor, event.reason)
            cleared = firing
        }
        return cleared
    }

    private func fetchLease(_ db: Database) throws -> GuardLease? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM guard_lease WHERE id = 1") else { return nil }
        return try decodeOne(row, table: "guard_lease", key: "1") { row throws(RowProblem) in try row.guardLease() }
    }
}
