import Foundation
import MigrationCore
import TestSupport
import Testing

/// The control database defends its contract against plain SQL, as a careless or hostile
/// writer would send it through the `sqlite3` shell, and its audit log is tamper-evident.
struct ContractTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }
    var database: String { folder.url.appending(path: "migctl.db").path }

    func initialized() throws -> MigctlProcess {
        #expect(try migctl.run(["init", "--name", "users-v2"]).status == 0)
        return migctl
    }

    @discardableResult
    func sqlite3(_ statements: String) throws -> MigctlProcess.SQLResult { try migctl.sqlite3(statements) }

    static let now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

    @Test(arguments: [
        ("INSERT OR REPLACE INTO audit (id, at, actor, host, action) VALUES (1, \(now), 'eve', 'h', 'init')", "append-only"),
        ("REPLACE INTO audit (id, at, actor, host, action) VALUES (1, \(now), 'eve', 'h', 'init')", "append-only"),
        ("DELETE FROM audit WHERE id = 1", "append-only"),
        ("UPDATE audit SET reason = 'nothing happened' WHERE id = 1", "append-only"),
        ("INSERT INTO audit (id, at, actor, host, action) VALUES ((SELECT max(id) + 1 FROM audit), datetime('now'), 'eve', 'h', 'x')", "audit: at must be an instant"),
        ("INSERT INTO audit (at, actor, host, action) VALUES (\(now), 'eve', 'h', 'x')", "id = max(id) + 1"),
        ("INSERT INTO counter_add VALUES (char(27) || ']0;owned', 1, 1)", "name must match"),
        ("INSERT INTO counters (name, second, value) VALUES ('BAD NAME', 1, 1)", "name must match"),
        ("INSERT INTO counters (name, second, value) VALUES ('hit', 1, -5)", "value >= 0"),
        ("INSERT INTO counters (name, second, value) VALUES ('hit', 1, 1.5)", "integers"),
        ("INSERT INTO gauges VALUES ('lag', 'n/a', \(now))", "finite number"),
        ("INSERT INTO gauges VALUES ('lag', 9e999, \(now))", "finite number"),
        ("INSERT INTO gauges VALUES ('lag', 1, datetime('now'))", "instant"),
        ("UPDATE state SET phase = 'no-such-phase', version = version + 1", "state:"),
        ("UPDATE state SET version = version - 1", "state:"),
        ("UPDATE state SET version = version + 2", "state:"),
        ("UPDATE state SET version = 'abc'", "state:"),
        ("UPDATE state SET phase_since = '2020-01-01T00:00:00.000Z', version = version + 1", "state:"),
        ("UPDATE phases SET irreversible = 0 WHERE id = 'new-primary'", "plan cannot change"),
        ("UPDATE phases SET gates = '[{\"kind\":\"command\",\"argv\":[\"touch\",\"/tmp/pwned\"]}]' WHERE id = 'dual-write'", "plan cannot change"),
        ("DELETE FROM phases WHERE id = 'cleanup'", "plan cannot change"),
        ("INSERT INTO phases (position, id, title, reads, writes, irreversible, ramp) VALUES (99, 'evil', 'e', 'old', 'old', 0, 1)", "plan cannot change"),
        ("UPDATE migration SET name = 'other-salt'", "written once"),
        ("INSERT INTO instances VALUES ('i', 'h', 1, 1, datetime('now'), datetime('now'))", "instances"),
        ("INSERT INTO instances VALUES ('i', 'h', 'x', 1, \(now), \(now))", "instances"),
        ("INSERT INTO checklist_ticks VALUES ('old-only', 99, 't', 'eve', \(now))", "checklist item"),
        ("INSERT INTO approvals (phase, actor, host, at) VALUES ('no-such-phase', 'eve', 'h', \(now))", "plan phase"),
        ("BEGIN; INSERT INTO approvals (phase, actor, host, at) VALUES ('dual-write', 'bo', 'h', \(now)); DELETE FROM approvals;", "never deleted"),
    ])
    func plainSQLAttacksAreRefusedByTheDatabase(statement: String, refusal: String) throws {
        _ = try initialized()
        let before = try migctl.dump("migctl.db")
        let result = try sqlite3(statement)
        #expect(result.status != 0, "accepted: \(statement)")
        #expect(result.stderr.contains(refusal), "\(statement): \(result.stderr)")
        #expect(try migctl.dump("migctl.db") == before)
    }

    @Test(arguments: [
        // A whole change written by hand, audit row included, still follows the plan's rules.
        ("UPDATE state SET phase = 'complete', rollout = 10000, version = version + 1, phase_since = \(now), changed_at = \(now), changed_by = 'x'", "state:"),
        ("UPDATE state SET rollout = 500, version = version + 1, changed_at = \(now), changed_by = 'x'", "state:"),
        ("UPDATE state SET changed_by = '   ', version = version + 1", "state:"),
        ("INSERT OR REPLACE INTO migration (id, name, created_at, created_by, plan_hash) SELECT 1, 'evil', created_at, created_by, plan_hash FROM migration", "written once"),
        ("INSERT INTO audit (id, at, actor, host, action) VALUES (9223372036854775807, \(now), 'eve', 'h', 'x')", "append-only"),
        ("UPDATE counter_totals SET value = 0", "only grow"),
        ("DELETE FROM counter_minutes", "never deleted"),
        ("INSERT INTO counter_totals VALUES ('BAD NAME', 'abc')", "kept by triggers"),
    ])
    func changesThatSkipThePlansRulesAreRefused(statement: String, refusal: String) throws {
        _ = try initialized()
        #expect(try migctl.run(["count", "hit", "3"]).status == 0)
        let before = try migctl.dump("migctl.db")
        let result = try sqlite3(statement)
        #expect(result.status != 0, "accepted: \(statement)")
        #expect(result.stderr.contains(refusal), "\(statement): \(result.stderr)")
        #expect(try migctl.dump("migctl.db") == before)
    }

    @Test func replacingACounterOrAnApprovalCannotShrinkOrRewriteIt() throws {
        let migctl = try initialized()
        #expect(try migctl.run(["approve", "dual-write", "--actor", "bo", "--reason", "ok"]).status == 0)
        let second = Int(Date().timeIntervalSince1970)
        #expect(try sqlite3("INSERT INTO counter_add VALUES ('verify.mismatch', \(second), 50)").status == 0)
        #expect(try sqlite3("INSERT OR REPLACE INTO counters VALUES ('verify.mismatch', \(second), 0)").status == 0)
        #expect(try sqlite3("SELECT value FROM counters WHERE name = 'verify.mismatch'").stdout == "50\n", "a replace adds, never shrinks")
        let approval = try sqlite3("INSERT OR REPLACE INTO approvals (id, phase, actor, host, at) VALUES (1, 'complete', 'zed', 'h', \(Self.now))")
        #expect(approval.status != 0 && approval.stderr.contains("never replaced"))
        #expect(try migctl.run(["log", "--verify"]).status == 0)
    }

    @Test func theDocumentedCounterAddSaturatesWithinOneSecond() throws {
        let migctl = try initialized()
        let result = try sqlite3("""
            BEGIN IMMEDIATE;
            INSERT INTO counter_add VALUES ('hit', 1800000000, 9223372036854775000);
            INSERT INTO counter_add VALUES ('hit', 1800000000, 10000);
            INSERT INTO counter_add VALUES ('hit', 1800000001, 9223372036854775000);
            COMMIT;
            SELECT value FROM counters WHERE name = 'hit' AND second = 1800000000;
            """)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "9223372036854775807\n")
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect((status["counters"] as? [String: Int64])?["hit"] == .max)
        #expect(try migctl.run(["count", "hit", "5"]).status == 0)
    }

    @Test func aFileSwitchedOutOfWALIsSwitchedBack() throws {
        let migctl = try initialized()
        #expect(try sqlite3("PRAGMA journal_mode = DELETE").stdout == "delete\n")
        #expect(try migctl.run(["status"]).status == 0)
        #expect(try sqlite3("PRAGMA journal_mode").stdout == "wal\n")
    }

    @Test func upgradeRefusesAFileThatIsNotAControlDatabase() throws {
        let result0 = try sqlite3("CREATE TABLE migration (id INTEGER PRIMARY KEY, x TEXT); PRAGMA user_version = 1;")
        #expect(result0.status == 0)
        let before = try migctl.dump("migctl.db")
        let upgrade = try migctl.run(["upgrade"])
        #expect(upgrade.status == 1 && upgrade.stderr.contains("not a migctl control database"), "\(upgrade.stderr)")
        #expect(try migctl.dump("migctl.db") == before, "nothing written, grdb_migrations included")
    }

    @Test func aVersion1FileUpgradesWithAllItsData() throws {
        let fixture = try #require(Bundle.module.url(forResource: "control-v1", withExtension: "sqlite", subdirectory: "Fixtures"))
        try FileManager.default.copyItem(at: fixture, to: URL(fileURLWithPath: database))
        let refused = try migctl.run(["status"])
        #expect(refused.status == 1 && refused.stderr.contains("migctl upgrade"))
        let upgrade = try migctl.run(["upgrade", "--actor", "ops"])
        #expect(upgrade.status == 0 && upgrade.stdout.contains("from schema version 1 to \(SQLiteControlStore.schemaVersion)"), "\(upgrade.stderr)")
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["phase"] as? String == "dual-write" && status["rollout"] as? Double == 25 && status["version"] as? Int == 3)
        #expect(status["counters"] as? [String: Int] == ["hit": 40, "miss": 7])
        #expect(status["gauges"] as? [String: Double] == ["backfill.total": 1000])
        let log = try #require(try migctl.json(["log", "--json", "--limit", "100"]) as? [[String: Any]])
        #expect(log.count == 13 && log.prefix(4).allSatisfy { $0["action"] as? String == "upgrade" }, "one audited upgrade per schema step")
        #expect(try migctl.run(["log", "--verify"]).status == 0)
        #expect(try migctl.run(["checklist", "--phase", "old-only"]).stdout.contains("5/5 ticked"))
        #expect(try sqlite3("UPDATE state SET version = 1").status != 0, "the rules hold after the upgrade")
    }

}

/// The audit chain on both stores: `log --verify` is intact after a walk, and catches what
/// someone who owns the storage rewrites past the store's rules (on SQLite whoever can write
/// the file after dropping the triggers; on PostgreSQL the superuser with triggers off).
struct AuditChainCLITests {
    func verify(_ migctl: MigctlProcess) throws -> MigctlProcess.Result { try migctl.run(["log", "--verify"]) }

    /// Eight events: init, five ticks, an advance, a rollout.
    func walked(_ under: StoreUnderTest) throws -> MigctlProcess {
        let migctl = under.migctl
        #expect(try migctl.run(["init", "--name", "users-v2"]).status == 0)
        for item in 1...5 { _ = try migctl.run(["checklist", "--tick", "\(item)"]) }
        #expect(try migctl.run(["advance", "--reason", "go"]).status == 0)
        #expect(try migctl.run(["rollout", "50", "--reason", "half"]).status == 0)
        let intact = try verify(migctl)
        #expect(intact.status == 0 && intact.stdout.contains("intact"), "\(intact.stderr)")
        let report = try #require(try migctl.json(["log", "--verify", "--json"]) as? [String: Any])
        let head = try #require(report["newestHash"] as? String)
        #expect(report["intact"] as? Bool == true && report["newestEvent"] as? Int == 8 && head.count == 64)
        #expect(intact.stdout.contains("newest event #8 has hash \(head)"))
        return migctl
    }

    @Test(arguments: StoreKind.allCases)
    func verifyCatchesARewrittenRow(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try walked(under)
        try under.sqlAsAttacker("UPDATE audit SET reason = 'nothing to see' WHERE id = 7")
        let result = try verify(migctl)
        #expect(result.status == 1 && result.stderr.contains("audit row 7 does not match its hash"), "\(result.stderr)")
    }

    @Test(arguments: StoreKind.allCases)
    func verifyCatchesADeletedRow(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try walked(under)
        try under.sqlAsAttacker("DELETE FROM audit WHERE id = 3")
        let result = try verify(migctl)
        #expect(result.status == 1 && result.stderr.contains("audit row 3 is missing before row 4"), "\(result.stderr)")
    }

    @Test(arguments: StoreKind.allCases)
    func verifyCatchesARowInsertedOutOfOrder(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try walked(under)
        try under.sqlAsAttacker("""
            DELETE FROM audit WHERE id = 8;
            INSERT INTO audit (id, at, actor, host, action, hash) VALUES (8, \(under.nowSQL), 'eve', 'h', 'advance', 'forged');
            """)
        let result = try verify(migctl)
        #expect(result.status == 1 && result.stderr.contains("audit row 8 does not match its hash"), "\(result.stderr)")
        #expect((try? migctl.json(["log", "--verify", "--json"])) == nil, "a broken chain exits 1 with --json too")
    }

    @Test(arguments: StoreKind.allCases)
    func verifyCatchesAStateChangedWithoutItsAuditRow(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        try Data(Plan.ungatedYAML.utf8).write(to: under.folder.url.appending(path: "plan.yaml"))
        let migctl = under.migctl
        #expect(try migctl.run(["init", "--name", "m", "--plan", "plan.yaml"]).status == 0)
        #expect(try migctl.run(["advance", "--reason", "go"]).status == 0)
        try under.sqlAsAttacker("UPDATE state SET phase = 'complete', rollout = 10000, version = version + 1")
        let result = try verify(migctl)
        #expect(result.status == 1 && result.stderr.contains("is not what the newest audited change"), "\(result.stderr)")
    }

    @Test(arguments: StoreKind.allCases)
    func verifyCatchesAPlanChangedBehindTheLogAndNoGateProgramRuns(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let folder = under.folder
        try Data(Plan.commandGatedYAML(program: "/bin/true", timeout: "5s").utf8).write(to: folder.url.appending(path: "plan.yaml"))
        let migctl = under.migctl
        #expect(try migctl.run(["init", "--name", "m", "--plan", "plan.yaml"]).status == 0)
        let marker = folder.url.appending(path: "pwned").path
        try under.sqlAsAttacker("""
            UPDATE phases SET gates = replace(replace(gates, '"\\/bin\\/true"', '"/usr/bin/touch","\(marker)"'),
                                              '"/bin/true"', '"/usr/bin/touch","\(marker)"') WHERE id = 'b';
            """)
        #expect(try under.sql("SELECT gates FROM phases WHERE id = 'b'").stdout.contains("touch"), "the plan was rewritten")
        let result = try verify(migctl)
        #expect(result.status == 1 && result.stderr.contains("the plan was changed after init"), "\(result.stderr)")
        let check = try migctl.run(["check"])
        #expect(check.status == 3, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("migctl runs no program from such a plan") || check.stderr.contains("migctl runs no program"),
                "\(check.stdout)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the injected program never ran")
    }
}

struct TombstoneColumnTests {
    @Test(arguments: StoreKind.allCases)
    func theTombstonesColumnAgreesWithTheClientsRule(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        #expect(try under.migctl.run(["init", "--name", "m"]).status == 0)
        let rows = try under.sql("SELECT id, CAST(tombstones AS INTEGER) FROM phases ORDER BY position").stdout
        let expected = Plan.default.phases.map { "\($0.id)|\($0.deletesLeaveTombstones ? 1 : 0)" }.joined(separator: "\n") + "\n"
        #expect(rows == expected)
        #expect(rows.contains("new-primary|1") && rows.contains("read-new|1") && rows.contains("dual-write|0"))
    }
}

struct ChainStateTests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    @Test func upgradeSaysSoWhenUserVersionWasChangedByHand() throws {
        #expect(try migctl.run(["init", "--name", "m"]).status == 0)
        #expect(try migctl.sqlite3("PRAGMA user_version = 1").status == 0)
        let result = try migctl.run(["upgrade"])
        #expect(result.status == 1 && result.stderr.contains("changed by hand"), "\(result.stdout) \(result.stderr)")
    }
}
