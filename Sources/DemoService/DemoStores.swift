import Foundation
import GRDB
import MigrationClient

/// The demo's record: a user, shaped differently in each store.
public struct User: Sendable, Equatable, Codable {
    public var name: String
    public var email: String
    public var version: Int

    public init(name: String, email: String, version: Int) {
        self.name = name
        self.email = email
        self.version = version
    }
}

/// Two real SQLite stores: `old.db` with `users_old(id, name, email, version)` and `new.db`
/// with `users(id, full_name, email, email_domain, version, tombstone, origin)`: a renamed
/// column and a new required field filled on copy, plus tombstones. Copies also record when
/// they were made (`copied_at`), so what a crashed service left uncounted can be bounded
/// (see `DemoStores+Sessions.swift`).
public final class DemoStores: Sendable {
    public let oldQueue: DatabaseQueue
    public let newQueue: DatabaseQueue

    /// Opens (creating if needed) the two stores in `folder`.
    public init(folder: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.journalMode = .wal
        oldQueue = try DatabaseQueue(path: folder + "/old.db", configuration: config)
        newQueue = try DatabaseQueue(path: folder + "/new.db", configuration: config)
        try oldQueue.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS users_old (id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, version INTEGER NOT NULL)")
        }
        try newQueue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS users (
                  id TEXT PRIMARY KEY, full_name TEXT, email TEXT, email_domain TEXT, version INTEGER,
                  tombstone INTEGER NOT NULL DEFAULT 0, origin TEXT NOT NULL)
                """)
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS purged (origin TEXT PRIMARY KEY, count INTEGER NOT NULL)")
            if try !db.columns(in: "users").contains(where: { $0.name == "copied_at" }) {
                try db.execute(sql: "ALTER TABLE users ADD COLUMN copied_at REAL")
            }
            try Self.createSessionTables(db)
        }
    }

    /// The key of seeded user `i`.
    public static func key(_ i: Int) -> String { String(format: "user-%07d", i) }

    /// Fills the old store with `count` users (only when it is empty); returns them.
    ///
    /// One transaction: asked to stop half way, it rolls back and leaves the store as it was.
    /// - Parameter stopRequested: polled every thousand users.
    /// - Throws: ``DemoServiceError/stoppedWhileSeeding(seeded:of:)`` when asked to stop, or the store's error.
    @discardableResult
    public func seed(_ count: Int, stopRequested: () -> Bool = { false }) throws -> [String: User] {
        var users: [String: User] = [:]
        for i in 0..<count {
            users[Self.key(i)] = User(name: "User \(i)", email: "user\(i)@example\(i % 7).com", version: 1)
        }
        try oldQueue.write { db in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM users_old") == 0 else { return }
            let insert = try db.makeStatement(sql: "INSERT INTO users_old (id, name, email, version) VALUES (?, ?, ?, ?)")
            for (done, (key, user)) in users.enumerated() {
                if done % 1000 == 0, stopRequested() { throw DemoServiceError.stoppedWhileSeeding(seeded: done, of: count) }
                try insert.execute(arguments: [key, user.name, user.email, user.version])
            }
        }
        return users
    }

    public var old: OldStore<User> {
        let queue = oldQueue
        return OldStore(
            get: { key in
                try queue.read { db in
                    try Row.fetchOne(db, sql: "SELECT name, email, version FROM users_old WHERE id = ?", arguments: [key])
                        .map { User(name: $0["name"], email: $0["email"], version: $0["version"]) }
                }
            },
            put: { key, user in
                try queue.write { db in
                    try db.execute(sql: "INSERT OR REPLACE INTO users_old (id, name, email, version) VALUES (?, ?, ?, ?)",
                                   arguments: [key, user.name, user.email, user.version])
                }
            },
            delete: { key in try queue.write { db in try db.execute(sql: "DELETE FROM users_old WHERE id = ?", arguments: [key]) } },
            scan: { after, limit in
                try queue.read { db in
                    try Row.fetchAll(db, sql: "SELECT id, name, email, version FROM users_old WHERE id > ? ORDER BY id LIMIT ?",
                                     arguments: [after ?? "", limit])
                        .map { (key: $0["id"] as String, value: User(name: $0["name"], email: $0["email"], version: $0["version"])) }
                }
            },
            count: { try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM users_old") ?? 0 } })
    }

    public var new: NewStore<User> {
        let queue = newQueue
        return NewStore(
            get: { key in
                try queue.read { db in
                    try Row.fetchOne(db, sql: "SELECT full_name, email, version, tombstone FROM users WHERE id = ?", arguments: [key]).map { row in
                        (row["tombstone"] as Bool) ? .tombstone : .value(User(name: row["full_name"], email: row["email"], version: row["version"]))
                    }
                }
            },
            put: { key, stored, origin in
                try queue.write { db in
                    switch stored {
                    case .value(let user):
                        try db.execute(sql: """
                            INSERT INTO users (id, full_name, email, email_domain, version, tombstone, origin) VALUES (?, ?, ?, ?, ?, 0, ?)
                            ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name, email = excluded.email,
                              email_domain = excluded.email_domain, version = excluded.version, tombstone = 0
                            """, arguments: [key, user.name, user.email, Self.domain(user.email), user.version, origin.rawValue])
                    case .tombstone:
                        try db.execute(sql: """
                            INSERT INTO users (id, tombstone, origin) VALUES (?, 1, ?)
                            ON CONFLICT (id) DO UPDATE SET full_name = NULL, email = NULL, email_domain = NULL, version = NULL, tombstone = 1
                            """, arguments: [key, origin.rawValue])
                    }
                }
            },
            putIfAbsent: { key, user, origin in
                try queue.write { db in
                    try db.execute(sql: """
                        INSERT INTO users (id, full_name, email, email_domain, version, tombstone, origin, copied_at)
                        VALUES (?, ?, ?, ?, ?, 0, ?, \(Self.unixNow))
                        ON CONFLICT (id) DO NOTHING
                        """, arguments: [key, user.name, user.email, Self.domain(user.email), user.version, origin.rawValue])
                    return db.changesCount == 1
                }
            },
            delete: { key in
                try queue.write { db in
                    try Self.recordRemoval(try Row.fetchAll(db, sql: "DELETE FROM users WHERE id = ? RETURNING origin, copied_at", arguments: [key]), db)
                }
            },
            purgeTombstones: {
                try queue.write { db in
                    let removed = try Row.fetchAll(db, sql: "DELETE FROM users WHERE tombstone = 1 RETURNING origin, copied_at")
                    try Self.recordRemoval(removed, db)
                    return removed.count
                }
            })
    }

    /// What `key` reads as under `route`, without copying anything: the old store while it is
    /// primary; otherwise the new store, where a tombstone means deleted, falling back to the
    /// old store only if the route still reads it.
    public func value(of key: String, as route: Route) throws -> User? {
        guard route.primary == .new else { return try old.get(key) }
        switch try new.get(key) {
        case .value(let user): return user
        case .tombstone: return nil
        case nil: return route.reads == .new ? nil : try old.get(key)
        }
    }

    /// Keeps count of removed rows (`origin`, `copied_at`) by origin, so copies can still be
    /// reconciled with the counters, and keeps when removed copies were made.
    private static func recordRemoval(_ removed: [Row], _ db: Database) throws {
        for row in removed {
            let origin: String = row["origin"]
            try db.execute(sql: "INSERT INTO purged (origin, count) VALUES (?, 1) ON CONFLICT (origin) DO UPDATE SET count = count + 1",
                           arguments: [origin])
            if let copiedAt = row["copied_at"] as Double? {
                try db.execute(sql: "INSERT INTO removed_copies (origin, copied_at) VALUES (?, ?)", arguments: [origin, copiedAt])
            }
        }
    }

    /// The new schema's required field, filled on copy.
    static func domain(_ email: String) -> String { email.split(separator: "@").last.map(String.init) ?? "" }

    /// Rows of the new store (tombstones included) plus removed ones, by how they got there.
    public func rowsByOrigin() throws -> [String: Int] {
        try newQueue.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT origin, count(*) AS n FROM users GROUP BY origin") { counts[row["origin"]] = row["n"] }
            for row in try Row.fetchAll(db, sql: "SELECT origin, count FROM purged") { counts[row["origin"], default: 0] += row["count"] as Int }
            return counts
        }
    }
}
