import Foundation
import GRDB
import MigrationCore
import TestSupport
import Testing

/// The control store's contract, run against both stores: the SQLite file and PostgreSQL.
///
/// Where the server's rules differ, the assertions go through the fixture: on PostgreSQL the
/// actor is the login whatever a caller says (``StoreUnderTest/signer(_:host:)``), and times
/// come from the server's clock, not from the caller (``StoreUnderTest/recorded(_:matches:)``).
/// What is only about the SQLite file is in ``SQLiteFileTests`` below.
struct ControlStoreTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func create(_ under: StoreUnderTest, name: String = "users-v2", plan: Plan = .default,
                checklists: [String: [String]] = [:]) throws -> any ControlStore {
        try under.create(name: name, plan: plan, runbooks: Plan.defaultRunbooks, checklists: checklists,
                         by: under.signer("ana", host: "ops-1"), at: start)
    }

    /// The state after advancing `from` one phase, as a caller builds it.
    func advanced(_ from: MigrationState, to phase: String, rollout: Rollout = .full) -> MigrationState {
        var after = from
        (after.phase, after.rollout, after.version) = (phase, rollout, from.version + 1)
        (after.phaseSince, after.changedAt) = (start, start)
        return after
    }

    @Test(arguments: StoreKind.allCases)
    func initCreatesTheFirstPhaseWithItsAuditEvent(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        let ana = under.signer("ana")
        let info = try store.migration()
        #expect(info.name == "users-v2" && info.createdBy == ana.name && under.recorded(info.createdAt, matches: start), "\(info)")
        #expect(try store.plan() == .default)
        let state = try store.state()
        #expect(state.phase == "old-only" && state.rollout == .full && state.version == 1 && state.changedBy == ana.name)
        #expect(under.recorded(state.phaseSince, matches: start) && under.recorded(state.changedAt, matches: start))
        let log = try store.auditLog(limit: 10)
        #expect(log.count == 1 && log[0].action == "init" && log[0].toPhase == "old-only" && log[0].host == "ops-1")
        #expect(log.first?.actor == ana.name && log.first?.version == 1)
        #expect(try store.runbook(phase: "new-primary") == Plan.defaultRunbooks["new-primary"])
        // The server names its login; a file cannot tell who opened it.
        #expect(try store.login() == (kind == .postgres ? ana.name : nil))
    }

    @Test(arguments: StoreKind.allCases)
    func creatingAStoreTwiceIsRefusedAndTouchesNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        try store.add(counts: ["hit": 3], second: 1_800_000_001)
        #expect(throws: ControlStoreError.alreadyExists(path: store.location)) { try create(under, name: "other") }
        let again = try under.open()
        #expect(try again.migration().name == "users-v2" && again.counterTotals() == ["hit": 3] && again.auditLog(limit: 9).count == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func openingAStoreThatWasNeverCreatedIsRefusedAndCreatesNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        // No file at a path is missing; a schema that is not there holds no control store.
        let expected: ControlStoreError = switch kind {
        case .sqlite: .missing(path: under.db)
        case .postgres: .notAControlDatabase(path: under.storeLocation)
        }
        #expect(throws: expected) { try under.open() }
        #expect(!under.exists(), "opening must not create the store")
    }

    @Test(arguments: StoreKind.allCases)
    func openingRefusesUnknownSchemaVersions(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        try under.setSchemaVersion(99)
        #expect(throws: ControlStoreError.newerSchema(path: store.location, found: 99, known: SQLiteControlStore.schemaVersion)) { try under.open() }
        try under.setSchemaVersion(2)
        #expect(throws: ControlStoreError.olderSchema(path: store.location, found: 2, known: SQLiteControlStore.schemaVersion)) { try under.open() }
    }

    @Test(arguments: StoreKind.allCases)
    func theAuditLogIsAppendOnlyEvenForRawSQL(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        _ = try create(under)
        let rewrite = try under.sql("UPDATE audit SET reason = 'rewritten'")
        #expect(rewrite.status != 0 && rewrite.stderr.contains("append-only"), "\(rewrite.stderr)")
        let delete = try under.sql("DELETE FROM audit")
        #expect(delete.status != 0 && delete.stderr.contains("append-only"), "\(delete.stderr)")
        #expect(try under.sql("SELECT count(*) FROM audit").stdout == "1\n")
    }

    @Test(arguments: StoreKind.allCases)
    func commitIsACompareAndSwapOnTheVersion(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        let before = try store.state()
        let after = advanced(before, to: "dual-write")
        let event = AuditEvent(at: start, actor: under.signer("ana").name, host: "h", action: "advance")
        try store.commit(after, replacing: before, event: event)
        #expect(throws: ControlStoreError.conflict(expected: 1, found: 2)) {
            try store.commit(after, replacing: before, event: event)
        }
        #expect(try store.state().phase == "dual-write" && store.state().version == 2)
        let log = try store.auditLog(limit: 10)
        #expect(log.count == 2, "the losing commit appended nothing")
        #expect(log.first?.action == "advance" && log.first?.fromPhase == "old-only" && log.first?.toPhase == "dual-write")
        #expect(log.first?.version == 2 && log.first?.actor == under.signer("ana").name)
    }

    @Test(arguments: StoreKind.allCases)
    func aCommitFromAnotherConnectionMakesTheOlderReadAConflict(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let first = try create(under)
        let second = try under.open()
        let seenByFirst = try first.state(), seenBySecond = try second.state()
        let event = AuditEvent(at: start, actor: under.signer("ana").name, host: "h", action: "advance")
        try second.commit(advanced(seenBySecond, to: "dual-write"), replacing: seenBySecond, event: event)
        #expect(throws: ControlStoreError.conflict(expected: 1, found: 2)) {
            try first.commit(advanced(seenByFirst, to: "dual-write", rollout: .none), replacing: seenByFirst, event: event)
        }
        #expect(try first.state().rollout == .full, "the winner's change stands")
        #expect(try first.auditLog(limit: 10).filter { $0.action == "advance" }.count == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func changeTokenMovesWhenAnotherConnectionCommits(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let watcher = try create(under)
        let writer = try under.open()
        let token = try watcher.changeToken()
        let before = try writer.state()
        try writer.commit(advanced(before, to: "dual-write"), replacing: before,
                          event: AuditEvent(at: start, actor: under.signer("ana").name, host: "h", action: "advance"))
        #expect(eventually { (try? watcher.changeToken()) != token }, "the watcher never noticed the commit")
        #expect(try watcher.state().phase == "dual-write")
    }

    @Test(arguments: StoreKind.allCases)
    func countersAddUpPerSecondAndInTotal(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        try store.add(counts: ["hit": 3, "miss": 1], second: 1_800_000_001)
        try store.add(counts: ["hit": 2], second: 1_800_000_001)
        try store.add(counts: ["hit": 5], second: 1_800_000_075)
        #expect(try store.counterTotals() == ["hit": 10, "miss": 1])
        // Summed, because PostgreSQL spreads one second over shards.
        #expect(try under.sql("SELECT sum(value) FROM counters WHERE name = 'hit' AND second = 1800000001").stdout == "5\n")
        let minutes = try under.sql("SELECT minute, sum(value) FROM counter_minutes WHERE name = 'hit' GROUP BY minute ORDER BY minute")
        #expect(minutes.stdout == "1800000000|5\n1800000060|5\n", "\(minutes.stderr)")
    }

    @Test(arguments: StoreKind.allCases)
    func countersSaturateInsteadOfWrapping(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        try store.add(counts: ["big": Int64.max - 1], second: 1)
        try store.add(counts: ["big": 5], second: 1)
        try store.add(counts: ["big": 5], second: 2)
        #expect(try store.counterTotals()["big"] == Int64.max)
        #expect(try store.counterSeries(["big"], from: 0, to: 4, slots: 4).values["big"] == [0, .max, 5, 0])
    }

    @Test(arguments: StoreKind.allCases)
    func aForeignWriterAddingToCountersKeepsTheRollUpsExact(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        #expect(try under.sql("INSERT INTO counters (name, second, value) VALUES ('miss', 120, 4)").status == 0)
        #expect(try under.sql("UPDATE counters SET value = value + 3 WHERE name = 'miss' AND second = 120").status == 0)
        #expect(try under.sql("UPDATE counters SET value = value + 9223372036854775807 WHERE name = 'miss'").status != 0)
        #expect(try under.sql("UPDATE counters SET value = value - 1 WHERE name = 'miss'").status != 0, "a counter never shrinks")
        #expect(try store.counterTotals()["miss"] == 7)
        #expect(try store.counterSeries(["miss"], from: 60, to: 180, slots: 2).values["miss"] == [0, 7])
    }

    @Test(arguments: StoreKind.allCases)
    func badNamesAndValuesWriteNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        #expect(throws: ControlStoreError.invalidName("Hit")) { try store.add(counts: ["Hit": 1], second: 1) }
        #expect(throws: ControlStoreError.self) { try store.add(counts: ["hit": -1], second: 1) }
        #expect(throws: ControlStoreError.self) { try store.flush(counts: ["ok": 1, "Bad Name": 1], second: 1, heartbeat: nil) }
        #expect(throws: ControlStoreError.invalidName("a\u{1b}[2J")) { try store.setGauge("a\u{1b}[2J", to: 1, at: start) }
        #expect(throws: ControlStoreError.self) { try store.setGauge("lag", to: .nan, at: start) }
        #expect(throws: ControlStoreError.self) { try store.setGauge("lag", to: .infinity, at: start) }
        #expect(try store.counterTotals().isEmpty && store.gauges().isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func gaugesKeepTheirLastValue(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        try store.setGauge("backfill.total", to: 100, at: start)
        try store.setGauge("backfill.total", to: 120, at: start.addingTimeInterval(5))
        try store.setGauge("backfill.done", to: -0.5, at: start)
        let gauges = try store.gauges()
        #expect(gauges.map(\.name) == ["backfill.done", "backfill.total"] && gauges.map(\.value) == [-0.5, 120])
        #expect(gauges.allSatisfy { under.recorded($0.updatedAt, matches: start.addingTimeInterval($0.value == 120 ? 5 : 0)) })
    }

    @Test(arguments: StoreKind.allCases)
    func counterSeriesSumIntoSlotsOfSecondsOrMinutes(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        let to: Int64 = 1_800_000_000
        try store.add(counts: ["hit": 1], second: to - 10)
        try store.add(counts: ["hit": 2, "miss": 4], second: to - 9)
        try store.add(counts: ["hit": 3], second: to - 1)
        try store.add(counts: ["hit": 7], second: to)
        let seconds = try store.counterSeries(["hit", "miss", "none"], from: to - 10, to: to, slots: 5)
        #expect(seconds.start == to - 10 && seconds.slotSeconds == 2)
        #expect(seconds.values == ["hit": [3, 0, 0, 0, 3], "miss": [4, 0, 0, 0, 0], "none": [0, 0, 0, 0, 0]])
        try store.add(counts: ["hit": 40], second: to - 3600)
        let minutes = try store.counterSeries(["hit"], from: to - 3600, to: to, slots: 6)
        #expect(minutes.slotSeconds == 600 && minutes.values["hit"] == [40, 0, 0, 0, 0, 6], "read from the per-minute roll-up")
        #expect(try store.counterSeries([], from: 0, to: 10, slots: 3).values.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func windowSumsAreExactAcrossTheMinuteRollUp(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        let now: Int64 = 1_800_000_030
        for second in stride(from: now - 400, through: now, by: 1) { try store.add(counts: ["hit": 1], second: second) }
        try store.add(counts: ["hit": 1000], second: now - 3600)
        let sums = try store.counterSums([CounterWindow(name: "hit", seconds: 300), CounterWindow(name: "hit", seconds: 30),
                                          CounterWindow(name: "hit", seconds: 3601), CounterWindow(name: "none", seconds: 60)],
                                         now: Date(timeIntervalSince1970: Double(now)))
        #expect(sums[CounterWindow(name: "hit", seconds: 300)] == 300)
        #expect(sums[CounterWindow(name: "hit", seconds: 30)] == 30)
        #expect(sums[CounterWindow(name: "hit", seconds: 3601)] == 1401)
        #expect(sums[CounterWindow(name: "none", seconds: 60)] == 0)
    }

    @Test(arguments: StoreKind.allCases)
    func checklistTicksRecordWhoAndAreAudited(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under, checklists: ["old-only": ["backups tested", "on-call briefed"]])
        let ana = under.signer("ana")
        try store.setTick(phase: "old-only", item: 2, ticked: true, by: ana, at: start)
        let items = try store.checklist(phase: "old-only")
        #expect(items.map(\.number) == [1, 2] && items.map(\.text) == ["backups tested", "on-call briefed"])
        #expect(items[0].tickedBy == nil && items[0].tickedAt == nil && items[1].tickedBy == ana.name)
        #expect(items[1].tickedAt.map { under.recorded($0, matches: start) } == true)
        try store.setTick(phase: "old-only", item: 2, ticked: true, by: ana, at: start)
        #expect(try store.auditLog(limit: 10).count == 2, "ticking a ticked item records nothing")
        try store.setTick(phase: "old-only", item: 2, ticked: false, by: ana, at: start)
        #expect(try store.checklist(phase: "old-only").allSatisfy { $0.tickedBy == nil })
        let log = try store.auditLog(limit: 10)
        #expect(log.map(\.action) == ["untick", "tick", "init"] && log[1].reason == "#2 on-call briefed" && log[1].actor == ana.name)
        #expect(throws: ControlStoreError.noSuchChecklistItem(phase: "old-only", item: 9)) {
            try store.setTick(phase: "old-only", item: 9, ticked: true, by: ana, at: start)
        }
        #expect(try store.checklist(phase: "dual-write").isEmpty && store.auditLog(limit: 10).count == 3)
    }

    @Test(arguments: StoreKind.allCases)
    func approvalsAreRecordsNewestFirst(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        let ana = under.signer("ana")
        try store.approve(phase: "new-primary", by: ana, at: start, reason: "graphs look fine")
        try store.approve(phase: "new-primary", by: ana, at: start.addingTimeInterval(1), reason: nil)
        let approvals = try store.approvals(phase: "new-primary")
        #expect(approvals.map(\.reason) == [nil, "graphs look fine"] && approvals.allSatisfy { $0.actor == ana.name })
        #expect(approvals.allSatisfy { under.recorded($0.at, matches: start) || under.recorded($0.at, matches: start.addingTimeInterval(1)) })
        #expect(try store.approvals(phase: "read-new").isEmpty)
        #expect(throws: ControlStoreError.self) { try store.approve(phase: "no-such-phase", by: ana, at: start, reason: nil) }
        let log = try store.auditLog(limit: 10)
        #expect(log.map(\.action) == ["approve", "approve", "init"] && log[1].toPhase == "new-primary" && log[1].reason == "graphs look fine")
        let refused = try under.sql("DELETE FROM approvals")
        #expect(refused.status != 0 && refused.stderr.contains("never"), "\(refused.stderr)")
    }

    @Test(arguments: StoreKind.allCases)
    func instancesFollowTheirHeartbeatAndStaleFlag(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under)
        var me = FleetInstance(id: "host-1-0a1b2c3d", host: "host", pid: 41, servingVersion: 1, heartbeatAt: start, startedAt: start)
        try store.flush(counts: ["hit": 2], second: 1_800_000_000, heartbeat: me)
        let first = try #require(try store.instances().first)
        #expect(first.id == me.id && first.host == "host" && first.pid == 41 && first.servingVersion == 1 && !first.stale)
        #expect(under.recorded(first.heartbeatAt, matches: start) && under.recorded(first.startedAt, matches: start))
        (me.servingVersion, me.stale, me.heartbeatAt) = (2, true, start.addingTimeInterval(5))
        try store.flush(counts: ["hit": 2], second: 1_800_000_005, heartbeat: me)
        let second = try store.instances()
        #expect(second.count == 1 && second[0].servingVersion == 2 && second[0].stale)
        #expect(second[0].startedAt == first.startedAt, "a heartbeat never moves when the instance started")
        #expect(under.recorded(second[0].heartbeatAt, matches: me.heartbeatAt) && second[0].heartbeatAt >= first.heartbeatAt)
        try store.flush(counts: [:], second: 1_800_000_006, heartbeat: FleetInstance(
            id: "host-2-0a1b2c3d", host: "other", pid: 7, servingVersion: 2, heartbeatAt: start, startedAt: start))
        #expect(try store.instances().map(\.host) == ["host", "other"])
        #expect(try store.counterTotals() == ["hit": 4], "counts and heartbeat in one flush")
        try store.removeInstance(id: me.id)
        #expect(try store.instances().map(\.id) == ["host-2-0a1b2c3d"])
    }

    @Test(arguments: StoreKind.allCases)
    func theHashChainCoversEveryEventAndCatchesARewrite(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let store = try create(under, checklists: ["old-only": ["backups tested"]])
        let ana = under.signer("ana")
        let before = try store.state()
        try store.commit(advanced(before, to: "dual-write", rollout: .none), replacing: before,
                         event: AuditEvent(at: start, actor: ana.name, host: "h", action: "advance", reason: "go"))
        try store.setTick(phase: "old-only", item: 1, ticked: true, by: ana, at: start)
        try store.approve(phase: "read-new", by: ana, at: start, reason: "ok")
        try store.append(AuditEvent(at: start, actor: ana.name, host: "h", action: "forget", reason: "gone", details: "i h:1 on v1"))
        #expect(try store.verifyAuditChain() == nil)
        #expect(try store.planTampering() == nil)
        let head = try #require(try store.auditChainHead())
        #expect(head.id == 5 && head.hash.count == 64)
        try under.sqlAsAttacker("UPDATE audit SET reason = 'nothing happened' WHERE id = 2")
        #expect(try store.verifyAuditChain()?.row == 2)
    }
}

/// What is only about the SQLite file: its mode and permissions, refusing what is not a
/// control database, and upgrading files. PostgreSQL has none of these.
struct SQLiteFileTests {
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

    @Test func theSQLiteFileIsWALWithUserVersionAndGroupWritable() throws {
        _ = try create()
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.path("control.db"))
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        try raw { (db: Database) throws in
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == 5)
        }
    }

    @Test func sqliteInitNeverTouchesAnExistingPath() throws {
        try Data("precious".utf8).write(to: folder.url.appending(path: "control.db"))
        #expect(throws: ControlStoreError.alreadyExists(path: folder.path("control.db"))) { try create() }
        #expect(try String(contentsOfFile: folder.path("control.db"), encoding: .utf8) == "precious")
    }

    @Test func sqliteOpeningRefusesWhatIsNotAControlDatabase() throws {
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

    @Test func sqliteUpgradeOfACurrentFileChangesNothing() throws {
        _ = try create()
        let result = try SQLiteControlStore.upgrade(at: folder.path("control.db"), by: ana, at: start)
        #expect(result == (SQLiteControlStore.schemaVersion, SQLiteControlStore.schemaVersion))
        #expect(try SQLiteControlStore(path: folder.path("control.db")).auditLog(limit: 10).count == 1)
    }
}
