import Foundation
import GRDB
import MigrationCore

/// What a service that died without stopping (a `kill -9`, a crash) may have left uncounted.
public struct CrashReconciliation: Sendable, Equatable, CustomStringConvertible {
    /// The dead service's instance id.
    public let session: String
    /// Its last flush of counts (its last heartbeat), if its fleet row was still there.
    public let lastFlush: Date?
    /// By origin (`miss`, `backfill`): copies made after that flush, whose counts it may not have written.
    public let exposed: [String: Int]

    public var description: String {
        guard let lastFlush else {
            return "service \(session) died without stopping and its fleet row is gone: what it left uncounted cannot be bounded"
        }
        let copies = exposed.keys.sorted().map { "\(exposed[$0] ?? 0) \($0)" }.joined(separator: ", ")
        return "service \(session) died without stopping (a crash or kill -9); after its last flush at "
            + "\(Timestamp.string(lastFlush)) it made \(copies.isEmpty ? "no" : copies) copies it may not have counted"
    }
}

/// Which services served these stores, and what a crashed one could lose.
///
/// A client writes its counts with its heartbeat in one transaction (`ControlStore.flush`),
/// so a service that dies loses exactly the counts of what it did after its last heartbeat.
/// Copies record when they were made, so on restart the next service bounds that loss from
/// the stores, records it, and removes the dead service's fleet row. The invariants then
/// accept at most that many uncounted copies: a crash is no permanent false alarm, and a
/// real loss (more than a crash could explain, or without a crash) still fails.
extension DemoStores {
    /// A copy's count is added right after its row is written, and the flush takes the counts
    /// just before it stamps the heartbeat: copies this close before a heartbeat may still be
    /// missing from it.
    static let flushMargin: TimeInterval = 1
    /// A service whose heartbeat is this old is dead even if its process id is in use.
    static let deadAfter: TimeInterval = 10

    /// The current Unix time with milliseconds, in SQL: SQLite 3.40 has no `unixepoch('subsec')`.
    static let unixNow = "((julianday('now') - 2440587.5) * 86400.0)"

    static func createSessionTables(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, started_at REAL NOT NULL, ended_at REAL, crashed INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS crash_exposure (session TEXT NOT NULL, origin TEXT NOT NULL, copies INTEGER NOT NULL,
                                                       PRIMARY KEY (session, origin));
            CREATE TABLE IF NOT EXISTS removed_copies (origin TEXT NOT NULL, copied_at REAL NOT NULL);
            """)
    }

    /// Records that service `id` (its client's instance id) starts serving these stores.
    public func beginSession(_ id: String) throws {
        try newQueue.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO sessions (id, started_at) VALUES (?, \(Self.unixNow))", arguments: [id])
        }
    }

    /// Records that service `id` stopped with every count flushed.
    public func endSession(_ id: String) throws {
        try newQueue.write { db in
            try db.execute(sql: "UPDATE sessions SET ended_at = \(Self.unixNow) WHERE id = ?", arguments: [id])
        }
    }

    /// Finds the services that served these stores and died without stopping, records for
    /// each what it may have left uncounted, and removes its stale row from `fleet`. Call it
    /// before serving, while no copy is being made. A service still alive is left alone.
    public func reconcileCrashes(fleet: any ControlStore, now: Date = Date()) throws -> [CrashReconciliation] {
        let open = try newQueue.read { db in try String.fetchAll(db, sql: "SELECT id FROM sessions WHERE ended_at IS NULL") }
        guard !open.isEmpty else { return [] }
        let instances = Dictionary(try fleet.instances().map { ($0.id, $0) }) { first, _ in first }
        var found: [CrashReconciliation] = []
        for session in open {
            let instance = instances[session]
            if let instance, Self.isAlive(instance, now: now) { continue }
            let lastFlush = instance?.heartbeatAt
            let exposed = try newQueue.write { db in
                let exposed = try lastFlush.map { try Self.copies(since: $0.timeIntervalSince1970 - Self.flushMargin, db) } ?? [:]
                for (origin, copies) in exposed {
                    try db.execute(sql: "INSERT OR REPLACE INTO crash_exposure (session, origin, copies) VALUES (?, ?, ?)",
                                   arguments: [session, origin, copies])
                }
                try db.execute(sql: "UPDATE sessions SET ended_at = ?, crashed = 1 WHERE id = ?",
                               arguments: [lastFlush?.timeIntervalSince1970 ?? now.timeIntervalSince1970, session])
                return exposed
            }
            if instance != nil { try fleet.removeInstance(id: session) }
            found.append(CrashReconciliation(session: session, lastFlush: lastFlush, exposed: exposed))
        }
        return found
    }

    /// By origin, how many copies crashed services may have left uncounted, in all.
    public func uncountedCopiesAllowed() throws -> [String: Int] {
        try newQueue.read { db in
            var allowed: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT origin, sum(copies) AS n FROM crash_exposure GROUP BY origin") {
                allowed[row["origin"]] = row["n"]
            }
            return allowed
        }
    }

    /// Copies (rows copied on read or by the backfill, removed ones included) made at or after `since`.
    private static func copies(since: TimeInterval, _ db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for sql in ["SELECT origin, count(*) AS n FROM users WHERE copied_at >= ? GROUP BY origin",
                    "SELECT origin, count(*) AS n FROM removed_copies WHERE copied_at >= ? GROUP BY origin"] {
            for row in try Row.fetchAll(db, sql: sql, arguments: [since]) { counts[row["origin"], default: 0] += row["n"] as Int }
        }
        return counts
    }

    /// A fresh heartbeat from a process that still exists on this host, or from another host.
    private static func isAlive(_ instance: FleetInstance, now: Date) -> Bool {
        guard now.timeIntervalSince(instance.heartbeatAt) < deadAfter else { return false }
        guard instance.host == ProcessInfo.processInfo.hostName else { return true }
        return kill(pid_t(truncatingIfNeeded: instance.pid), 0) == 0 || errno != ESRCH
    }
}
