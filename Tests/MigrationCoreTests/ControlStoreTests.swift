import Foundation
import GRDB
import MigrationCore
import TestSupport
import Testing

struct ControlStoreTests {
    let folder = TemporaryDirectory()
    let ana = Operator(name: "ana", host: "ops-1")
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func create(_ name: String = "users-v2", plan: Plan = .default) throws -> SQLiteControlStore {
        try SQLiteControlStore.create(at: folder.path("control.db"), name: name, plan: plan,
                                      runbooks: Plan.defaultRunbooks, checklists: [:], by: ana, at: start)
    }

    func raw(_ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: folder.path("control.db"))
        try queue.writeWithoutTransaction(body)
    }

    @Test func initCreatesTheFirstPhaseWithItsAuditEvent() throws {
        let store = try create()
        #expect(try store.migration() == MigrationInfo(name: "users-v2", createdAt: start, createdBy: "ana"))
        #expect(try store.plan() == .default)
        let state = try store.state()
        #expect(state.phase == "old-only" && state.rollout == .full && state.version == 1 && state.changedBy == "ana")
        let log = try store.auditLog(limit: 10)
        #expect(log.count == 1 && log[0].action == "init" && log[0].toPhase == "old-only" && log[0].host == "ops-1")
        #expect(try store.runbook(phase: "new-primary") == Plan.defaultRunbooks["new-primary"])
    }

    @Test func theFileIsWALWithUserVersionAndGroupWritable() throws {
        _ = try create()
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.path("control.db"))
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        try raw { (db: Database) throws in
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == 3)
        }
    }

    @Test func initNeverTouchesAnExistingPath() throws {
        try Data("precious".utf8).write(to: folder.url.appending(path: "control.db"))
        #expect(throws: ControlStoreError.alreadyExists(path: folder.path("control.db"))) { try create() }
        #expect(try String(contentsOfFile: folder.path("control.db"), encoding: .utf8) == "precious")
    }

    @Test func openingRefusesWhatIsNotAControlDatabase() throws {
        let missing = folder.path("missing.db")
        #expect(throws: ControlStoreError.missing(path: missing)) { try SQLiteControlStore(path: missing) }
        #expect(!FileManager.default.fileExists(atPath: missing), "opening must not create the file")

        let text = folder.path("notes.txt")
        try Data("not a database at all, just some text".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: ControlStoreError.notSQLite(path: text)) { try SQLiteControlStore(path: text) }

        let empty = folder.path("empty.db")
        #expect(FileManager.default.createFile(atPath: empty, contents: nil))
        #expect(throws: ControlStoreError.notAControlDatabase(path: empty)) { try SQLiteControlStore(path: empty) }
        #expect(try FileManager.default.attributesOfItem(atPath: empty)[.size] as? Int == 0, "an empty file stays empty")

        let other = folder.path("other.db")
        try DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE t (x); PRAGMA user_version = 1") }
        #expect(throws: ControlStoreError.notAControlDatabase(path: other)) { try SQLiteControlStore(path: other) }
    }

    @Test func openingRefusesUnknownSchemaVersions() throws {
        _ = try create()
        let path = folder.path("control.db")
        try raw { try $0.execute(sql: "PRAGMA user_version = 99") }
        #expect(throws: ControlStoreError.newerSchema(path: path, found: 99, known: 3)) { try SQLiteControlStore(path: path) }
    }

    @Test func theAuditLogIsAppendOnlyEvenForRawSQL() throws {
        _ = try create()
        try raw { (db: Database) throws in
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE audit SET reason = 'rewritten'") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM audit") }
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM audit") == 1)
        }
    }

    @Test func commitIsACompareAndSwapOnTheVersion() throws {
        let store = try create()
        let before = try store.state()
        var after = before
        after.phase = "dual-write"
        after.version = 2
        let event = AuditEvent(at: start, actor: "ana", host: "h", action: "advance")
        try store.commit(after, replacing: before, event: event)
        #expect(throws: ControlStoreError.conflict(expected: 1, found: 2)) {
            try store.commit(after, replacing: before, event: event)
        }
        #expect(try store.state().phase == "dual-write")
        #expect(try store.auditLog(limit: 10).count == 2, "the losing commit appended nothing")
    }

    @Test func countersAddUpPerSecondAndInTotal() throws {
        let store = try create()
        try store.add(counts: ["hit": 3, "miss": 1], second: 1_800_000_001)
        try store.add(counts: ["hit": 2], second: 1_800_000_001)
        try store.add(counts: ["hit": 5], second: 1_800_000_075)
        #expect(try store.counterTotals() == ["hit": 10, "miss": 1])
        try raw { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'hit' AND second = 1800000001") == 5)
            let minutes = try Row.fetchAll(db, sql: "SELECT minute, value FROM counter_minutes WHERE name = 'hit' ORDER BY minute")
            #expect(minutes.map { $0["value"] as Int } == [5, 5])
            #expect(minutes.map { $0["minute"] as Int64 } == [1_800_000_000, 1_800_000_060])
        }
    }

    @Test func countersSaturateInsteadOfWrapping() throws {
        let store = try create()
        try store.add(counts: ["big": Int64.max - 1], second: 1)
        try store.add(counts: ["big": 5], second: 1)
        try store.add(counts: ["big": 5], second: 2)
        #expect(try store.counterTotals()["big"] == Int64.max)
    }

    @Test func aForeignWriterAddingToCountersKeepsTheRollUpsExact() throws {
        let store = try create()
        try raw { (db: Database) throws in
            try db.execute(sql: "INSERT INTO counters (name, second, value) VALUES ('miss', 120, 4)")
            try db.execute(sql: "UPDATE counters SET value = value + 3 WHERE name = 'miss' AND second = 120")
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "UPDATE counters SET value = value + 9223372036854775807 WHERE name = 'miss'")
            }
        }
        #expect(try store.counterTotals()["miss"] == 7)
    }

    @Test func badNamesAndValuesWriteNothing() throws {
        let store = try create()
        #expect(throws: ControlStoreError.invalidName("Hit")) { try store.add(counts: ["Hit": 1], second: 1) }
        #expect(throws: ControlStoreError.self) { try store.add(counts: ["hit": -1], second: 1) }
        #expect(throws: ControlStoreError.invalidName("a\u{1b}[2J")) { try store.setGauge("a\u{1b}[2J", to: 1, at: start) }
        #expect(throws: ControlStoreError.self) { try store.setGauge("lag", to: .nan, at: start) }
        #expect(try store.counterTotals().isEmpty && store.gauges().isEmpty)
    }

    @Test func gaugesKeepTheirLastValue() throws {
        let store = try create()
        try store.setGauge("backfill.total", to: 100, at: start)
        try store.setGauge("backfill.total", to: 120, at: start.addingTimeInterval(5))
        #expect(try store.gauges() == [Gauge(name: "backfill.total", value: 120, updatedAt: start.addingTimeInterval(5))])
    }

    @Test func upgradeOfACurrentFileChangesNothing() throws {
        _ = try create()
        let result = try SQLiteControlStore.upgrade(at: folder.path("control.db"), by: ana, at: start)
        #expect(result == (3, 3))
        #expect(try SQLiteControlStore(path: folder.path("control.db")).auditLog(limit: 10).count == 1)
    }
}
