import Foundation
import MigrationCore
import TestSupport
import Testing

/// What only a server can enforce, on PostgreSQL: the three group roles, the login as the
/// actor (so the two-person rule is real), row-level security on the fleet, rules no login
/// gets past with plain SQL, and several migrations on one server.
///
/// Logins are made per test (`t_<8 hex>_ana`, …) with the fixture's superuser and dropped
/// with it; trust authentication means they need no password.
struct PostgresRoleTests {
    /// A store created by the superuser with `plan` (the built-in one, with its gates and
    /// checklists, if nil).
    func initialized(_ under: StoreUnderTest, plan: String? = Plan.ungatedYAML) throws -> MigctlProcess {
        let migctl = under.migctl
        var arguments = ["init", "--name", "users-v2"]
        if let plan {
            try Data(plan.utf8).write(to: under.folder.url.appending(path: "plan.yaml"))
            arguments += ["--plan", "plan.yaml"]
        }
        let created = try migctl.run(arguments)
        #expect(created.status == 0, "\(created.stderr)")
        return migctl
    }

    func state(_ migctl: MigctlProcess) throws -> [String: Any] {
        try #require(try migctl.json(["status", "--json"]) as? [String: Any])
    }

    func isOneSentence(_ result: MigctlProcess.Result) -> Bool {
        result.stderr.hasPrefix("migctl: ") && result.stderr.split(separator: "\n").count == 1
    }

    // MARK: - Applications

    @Test func anApplicationLoginIsRefusedStateChangesAndNothingChanges() throws {
        let under = try StoreUnderTest(.postgres)
        let migctl = try initialized(under)
        #expect(try migctl.run(["advance"]).status == 0)
        let app = try under.migctl(as: "app1", roles: [.app])
        let before = try under.dump()
        for command in [["rollout", "50"], ["rollback"], ["rollout", "100", "--reason", "x", "--expect-version", "2"]] {
            let refused = try app.run(command)
            #expect(refused.status == 1, "\(command): \(refused.status) \(refused.stderr)")
            #expect(isOneSentence(refused) && refused.stderr.contains("permission denied"), "\(refused.stderr)")
            #expect(refused.stderr.contains("\(under.schema())_operator"), "the error names the role it takes: \(refused.stderr)")
            #expect(try under.dump() == before, "\(command) changed something")
        }
        let status = try state(migctl)
        #expect(status["version"] as? Int == 2 && status["phase"] as? String == "dual-write")
        #expect((try migctl.json(["log", "--json"]) as? [Any])?.count == 2, "no audit row")
        // What an application may do, it can.
        #expect(try app.run(["status"]).status == 0)
        #expect(try app.run(["log", "--verify"]).status == 0)
    }

    @Test func anApplicationCountsAndHeartbeatsButOnlyItsOwnRowAndNeverTicksOrApproves() throws {
        let under = try StoreUnderTest(.postgres)
        let migctl = try initialized(under, plan: nil)
        let app1 = try under.migctl(as: "app1", roles: [.app])
        try under.login("app2", roles: [.app])
        let before = try under.dump()
        let tick = try app1.run(["checklist", "--tick", "1"])
        #expect(tick.status == 1 && isOneSentence(tick) && tick.stderr.contains("\(under.schema())_operator"), "\(tick.stderr)")
        let approve = try app1.run(["approve", "dual-write"])
        #expect(approve.status == 1 && isOneSentence(approve) && approve.stderr.contains("\(under.schema())_approver"), "\(approve.stderr)")
        #expect(try under.dump() == before)

        #expect(try app1.run(["count", "hit", "3"]).status == 0)
        #expect(try app1.run(["gauge", "backfill.remaining", "12.5"]).status == 0)
        let now = Date(), second = Int64(Date().timeIntervalSince1970)
        func instance(_ id: String, version: Int64 = 1) -> FleetInstance {
            FleetInstance(id: id, host: "web", pid: 7, servingVersion: version, heartbeatAt: now, startedAt: now)
        }
        let store1 = try under.open(as: "app1"), store2 = try under.open(as: "app2")
        try store1.flush(counts: ["hit": 1], second: second, heartbeat: instance("one"))
        try store2.flush(counts: ["miss": 1], second: second, heartbeat: instance("two"))
        try store1.flush(counts: [:], second: second, heartbeat: instance("one", version: 1))
        let status = try state(migctl)
        #expect(status["counters"] as? [String: Int] == ["hit": 4, "miss": 1])
        #expect(status["gauges"] as? [String: Double] == ["backfill.remaining": 12.5])

        // Row-level security: app1 cannot write app2's row, through the store or by hand.
        #expect(throws: ControlStoreError.self) { try store1.flush(counts: [:], second: second, heartbeat: instance("two", version: 9)) }
        try store1.removeInstance(id: "two")
        let byHand = try under.sql("""
            UPDATE instances SET serving_version = 9, stale = true WHERE id = 'two';
            DELETE FROM instances WHERE id = 'two';
            INSERT INTO instances (id, host, pid, serving_version, login) VALUES ('forged', 'h', 1, 1, '\(under.actor("app2"))');
            """, as: "app1")
        #expect(byHand.status == 0, "\(byHand.stderr)")
        let rows = try under.sql("SELECT id, serving_version, stale, login FROM instances ORDER BY id").stdout
        #expect(rows == "forged|1|f|\(under.actor("app1"))\none|1|f|\(under.actor("app1"))\ntwo|1|f|\(under.actor("app2"))\n",
                "a row is its login's whatever the writer says: \(rows)")
        let fleet = try #require(try migctl.json(["fleet", "--json"]) as? [[String: Any]])
        #expect(Set(fleet.compactMap { $0["id"] as? String }) == ["forged", "one", "two"])

        // Nothing but counters, gauges and its own heartbeat.
        for statement in ["UPDATE state SET version = version + 1", "INSERT INTO approvals (phase, host) VALUES ('dual-write', 'h')",
                          "INSERT INTO checklist_ticks (phase, item, text) VALUES ('old-only', 1, 'x')",
                          "INSERT INTO audit (host, action) VALUES ('h', 'advance')", "DELETE FROM gauges"] {
            let refused = try under.sql(statement, as: "app1")
            #expect(refused.status != 0 && refused.stderr.contains("permission denied"), "\(statement): \(refused.stderr)")
        }
        #expect(try migctl.run(["log", "--verify"]).status == 0)
    }

    // MARK: - Operators and approvers: the two-person rule

    @Test func anOperatorsOwnApprovalDoesNotCountAndAnotherApproversDoes() throws {
        let under = try StoreUnderTest(.postgres)
        let migctl = try initialized(under, plan: twoPhases(gate: "{kind: approval, within: 1h}"))
        let ana = try under.migctl(as: "ana", roles: [.operator, .approver])
        let bo = try under.migctl(as: "bo", roles: [.approver])
        let approved = try ana.run(["approve", "b", "--reason", "looks fine to me"])
        #expect(approved.status == 0 && approved.stdout == "approved b as \(under.actor("ana"))\n", "\(approved.stderr)")
        let own = try ana.run(["advance"])
        #expect(own.status == 3 && own.stderr.contains("approval of b by another operator"), "\(own.stderr)")
        let check = try ana.run(["check"])
        #expect(check.status == 3 && check.stdout.contains("your own approval does not count"), "\(check.stdout)")
        let pretending = try ana.run(["advance", "--actor", under.actor("bo")])
        #expect(pretending.status == 64 && isOneSentence(pretending), "ana cannot act as bo: \(pretending.stderr)")

        // An approver is not an operator: ana's approval passes bo's gate, but the server refuses bo the change.
        let before = try under.dump()
        let approverAdvancing = try bo.run(["advance"])
        #expect(approverAdvancing.status == 1 && approverAdvancing.stderr.contains("\(under.schema())_operator"), "\(approverAdvancing.stderr)")
        #expect(try under.dump() == before)

        #expect(try bo.run(["approve", "b"]).status == 0)
        #expect(try ana.run(["check"]).status == 0)
        let advanced = try ana.run(["advance", "--reason", "bo approved"])
        #expect(advanced.status == 0, "\(advanced.stderr)")
        let log = try #require(try migctl.json(["log", "--json", "--limit", "3"]) as? [[String: Any]])
        #expect(log.map { $0["action"] as? String } == ["advance", "approve", "approve"])
        #expect(log.map { $0["actor"] as? String } == [under.actor("ana"), under.actor("bo"), under.actor("ana")])
        #expect(try state(migctl)["changedBy"] as? String == under.actor("ana"))
        #expect(try migctl.run(["log", "--verify"]).status == 0)
    }

    @Test func anActorOtherThanTheLoginIsRefusedWithExit64() throws {
        let under = try StoreUnderTest(.postgres)
        let migctl = try initialized(under)
        let before = try under.dump()
        for command in [["advance"], ["approve", "dual-write"], ["checklist", "--tick", "1"], ["rollback"]] {
            let flag = try migctl.run(command + ["--actor", "someoneelse"])
            #expect(flag.status == 64 && isOneSentence(flag), "\(command): \(flag.stderr)")
            #expect(flag.stderr.contains("--actor says 'someoneelse'") && flag.stderr.contains("database login, '\(under.actor())'"),
                    "\(flag.stderr)")
            var fromEnvironment = migctl
            fromEnvironment.environment["MIGCTL_ACTOR"] = "someoneelse"
            let variable = try fromEnvironment.run(command)
            #expect(variable.status == 64 && isOneSentence(variable) && variable.stderr.contains("MIGCTL_ACTOR says 'someoneelse'"),
                    "\(command): \(variable.stderr)")
        }
        #expect(try under.dump() == before)
        // Naming the login itself (in any case) is no lie.
        #expect(try migctl.run(["advance", "--actor", under.actor().uppercased()]).status == 0)
        let log = try #require(try migctl.json(["log", "--json", "--limit", "1"]) as? [[String: Any]])
        #expect(log.first?["actor"] as? String == under.actor())

        let other = under.other("second")
        let initAs = try migctl.run(["init", "--name", "m", "--db", other, "--actor", "someoneelse"])
        #expect(initAs.status == 64 && isOneSentence(initAs), "\(initAs.stderr)")
        #expect(!under.exists(other), "a refused init creates nothing")
    }

    // MARK: - init and the roles

    @Test func initPrintSQLNeedsNoServer() throws {
        let folder = TemporaryDirectory()
        let migctl = MigctlProcess(folder: folder.url)
        // Port 1 on the loopback: nobody listens there, so any connection attempt would fail.
        let result = try migctl.run(["init", "--print-sql", "--db", "postgresql://dba:secretpw@127.0.0.1:1/ops?schema=users_v2"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty && !result.stdout.contains("secretpw"))
        let statements = result.stdout.split(separator: "\n").filter { !$0.hasPrefix("--") }
        #expect(statements == ["CREATE ROLE users_v2_app NOLOGIN;", "CREATE ROLE users_v2_operator NOLOGIN;",
                               "CREATE ROLE users_v2_approver NOLOGIN;", "GRANT users_v2_app TO users_v2_operator;",
                               "GRANT users_v2_app TO users_v2_approver;"], "\(result.stdout)")
        let defaultSchema = try migctl.run(["init", "--print-sql", "--db", "postgresql://127.0.0.1:1/ops"])
        #expect(defaultSchema.status == 0 && defaultSchema.stdout.contains("CREATE ROLE migctl_operator NOLOGIN;"))
        #expect(try migctl.run(["init", "--print-sql", "--db", "migctl.db"]).status == 64, "--print-sql is for a URL")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty, "nothing was created")
    }

    /// A login that may create a schema in the database but not roles: a typical schema owner.
    func owner(_ under: StoreUnderTest) throws -> MigctlProcess {
        let owner = try under.login("owner", roles: [])
        let granted = under.superuserSQL("DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO \(owner)', current_database()); END $$;")
        #expect(granted.status == 0, "\(granted.stderr)")
        var migctl = under.migctl
        migctl.environment["MIGCTL_DB"] = try under.location(as: "owner")
        return migctl
    }

    /// Roles made by the DBA from the SQL init printed, then the store created by the owner.
    func ownedStore(_ under: StoreUnderTest, plan: String = Plan.ungatedYAML) throws -> MigctlProcess {
        let owner = try owner(under)
        try Data(plan.utf8).write(to: under.folder.url.appending(path: "plan.yaml"))
        let refused = try owner.run(["init", "--name", "m", "--plan", "plan.yaml"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(under.superuserSQL(refused.stdout).status == 0)
        let created = try owner.run(["init", "--name", "m", "--plan", "plan.yaml"])
        #expect(created.status == 0, "\(created.stderr)")
        return owner
    }

    @Test func initByALoginThatMayNotCreateRolesPrintsTheSQLAndCreatesNothingUntilADBARunsIt() throws {
        let under = try StoreUnderTest(.postgres)
        let owner = try owner(under)
        let roles = "SELECT rolname FROM pg_roles WHERE rolname LIKE '\(under.schema())\\_%' AND NOT rolcanlogin ORDER BY 1"
        let refused = try owner.run(["init", "--name", "m"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(isOneSentence(refused) && refused.stderr.contains("may not create roles"), "\(refused.stderr)")
        #expect(refused.stdout.contains("CREATE ROLE \(under.schema())_app NOLOGIN;"), "\(refused.stdout)")
        #expect(!under.exists(), "no schema")
        #expect(under.superuserSQL(roles).stdout.isEmpty, "no roles")
        #expect(try owner.run(["status"]).status == 1)

        let dba = under.superuserSQL(refused.stdout)
        #expect(dba.status == 0, "\(dba.stderr)")
        #expect(under.superuserSQL(roles).stdout == ["app", "approver", "operator"].map { "\(under.schema())_\($0)\n" }.joined())
        let created = try owner.run(["init", "--name", "m"])
        #expect(created.status == 0, "\(created.stderr)")
        let status = try state(owner)
        #expect(status["migration"] as? String == "m" && status["changedBy"] as? String == under.actor("owner"))
        #expect(try owner.run(["log", "--verify"]).status == 0)
    }

    // MARK: - Plain SQL against the rules

    /// `(statement, what the refusal says)` for both the schema owner and an operator.
    static let refusedToEveryone: [(String, String)] = [
        ("UPDATE counters SET value = value - 1", "only grows"),
        ("UPDATE state SET version = version + 2", "old version + 1"),
        ("UPDATE state SET rollout = 10000, version = version + 1", "first insert the audit row"),
        ("""
         BEGIN;
         INSERT INTO audit (host, action, from_phase, to_phase, from_rollout, to_rollout, version)
           SELECT 'h', 'rollback', 'new-primary', 'read-new', 1000, 10000, version + 1 FROM state;
         UPDATE state SET phase = 'read-new', rollout = 10000, version = version + 1;
         COMMIT;
         """, "rolling back past an irreversible phase"),
        ("""
         BEGIN;
         INSERT INTO audit (host, action, from_phase, to_phase, from_rollout, to_rollout, version)
           SELECT 'h', 'rollout', 'new-primary', 'new-primary', 1000, 500, version + 1 FROM state;
         UPDATE state SET rollout = 500, version = version + 1;
         COMMIT;
         """, "may only go up"),
        ("INSERT INTO audit (actor, host, action) VALUES ('someoneelse', 'h', 'advance')", "the actor is the database login"),
    ]

    static let refusedToTheOwner: [(String, String)] = refusedToEveryone + [
        ("UPDATE counter_totals SET value = 0", "only grow"),
        ("UPDATE audit SET reason = 'nothing happened' WHERE id = 2", "append-only"),
        ("DELETE FROM audit WHERE id > 1", "append-only"),
        ("TRUNCATE audit", "never truncated"),
        ("TRUNCATE counters, counter_minutes, counter_totals", "never truncated"),
        ("DELETE FROM state", "cannot be deleted"),
        ("UPDATE phases SET irreversible = false WHERE id = 'new-primary'", "plan cannot change"),
        ("UPDATE migration SET name = 'other-salt'", "written once"),
        ("DELETE FROM approvals", "never changed or deleted"),
    ]

    static let refusedToAnOperator: [(String, String)] = refusedToEveryone + [
        ("UPDATE counter_totals SET value = value + 1000", "permission denied"),
        ("INSERT INTO counter_minutes (name, minute, shard, value) VALUES ('verify.mismatch', 0, 0, 1)", "permission denied"),
        ("UPDATE counter_minutes SET name = 'zz' WHERE name = 'hit'", "permission denied"),
        ("INSERT INTO audit (host, action) VALUES ('h', 'hack')", "violates check constraint"),
        ("UPDATE audit SET reason = 'nothing happened' WHERE id = 2", "permission denied"),
        ("DELETE FROM audit WHERE id > 1", "permission denied"),
        ("TRUNCATE audit", "permission denied"),
        ("DELETE FROM state", "permission denied"),
        ("UPDATE phases SET irreversible = false WHERE id = 'new-primary'", "permission denied"),
        ("DELETE FROM approvals", "permission denied"),
        ("INSERT INTO approvals (phase, host) VALUES ('cleanup', 'h')", "permission denied"),
        ("UPDATE schema_version SET version = 9", "permission denied"),
        ("ALTER TABLE audit DISABLE TRIGGER USER", "must be owner"),
        ("DROP TRIGGER audit_is_append_only ON audit", "must be owner"),
    ]

    @Test(arguments: ["owner", "op"])
    func plainSQLCannotBreakTheRulesAndTheChainStaysIntact(_ who: String) throws {
        let under = try StoreUnderTest(.postgres)
        let owner = try ownedStore(under)
        // Into new-primary at 10% (irreversible), with a count and an approval: version 7.
        for step in [["advance"], ["rollout", "100"], ["advance"], ["rollout", "100"], ["advance", "--confirm", "new-primary"],
                     ["rollout", "10"], ["count", "hit", "3"]] {
            let result = try owner.run(step)
            #expect(result.status == 0, "\(step): \(result.stderr)")
        }
        // The approval is another login's: the owner made the last change, so its own would be refused.
        let approved = try under.migctl(as: "ap", roles: [.approver]).run(["approve", "cleanup"])
        #expect(approved.status == 0, "\(approved.stderr)")
        if who == "op" { try under.login("op", roles: [.operator]) }
        let before = try under.dump()
        for (statement, refusal) in who == "owner" ? Self.refusedToTheOwner : Self.refusedToAnOperator {
            let result = try under.sql(statement, as: who)
            #expect(result.status != 0, "\(who) did: \(statement)")
            #expect(result.stderr.contains(refusal), "\(who): \(statement): \(result.stderr)")
        }
        #expect(try under.dump() == before, "nothing changed")
        let verify = try owner.run(["log", "--verify"])
        #expect(verify.status == 0 && verify.stdout.contains("intact"), "\(verify.stderr)")
        let status = try state(owner)
        #expect(status["phase"] as? String == "new-primary" && status["rollout"] as? Double == 10 && status["version"] as? Int == 7)
    }

    // MARK: - One server, several migrations

    @Test func twoSchemasOnOneServerAreIndependent() throws {
        let under = try StoreUnderTest(.postgres)
        let migctl = under.migctl
        let (a, b) = (under.other("a"), under.other("b"))
        try Data(Plan.ungatedYAML.utf8).write(to: under.folder.url.appending(path: "plan.yaml"))
        #expect(try migctl.run(["init", "--name", "users-v2", "--db", a, "--plan", "plan.yaml"]).status == 0)
        #expect(try migctl.run(["init", "--name", "orders-v3", "--db", b]).status == 0)
        #expect(try migctl.run(["init", "--name", "again", "--db", a]).status == 1, "a is taken")
        #expect(try migctl.run(["advance", "--db", a]).status == 0)
        #expect(try migctl.run(["count", "hit", "5", "--db", b]).status == 0)
        let statusA = try #require(try migctl.json(["status", "--json", "--db", a]) as? [String: Any])
        let statusB = try #require(try migctl.json(["status", "--json", "--db", b]) as? [String: Any])
        #expect(statusA["migration"] as? String == "users-v2" && statusA["phase"] as? String == "dual-write")
        #expect((statusA["counters"] as? [String: Int])?.isEmpty == true)
        #expect(statusB["migration"] as? String == "orders-v3" && statusB["phase"] as? String == "old-only" && statusB["version"] as? Int == 1)
        #expect(statusB["counters"] as? [String: Int] == ["hit": 5])

        // Each schema has its own roles: a's application cannot even read b.
        try under.login("appa", roles: [.app], schema: under.schema("a"))
        var appA = migctl
        appA.environment["MIGCTL_DB"] = nil
        let urlA = a + "&user=\(under.actor("appa"))", urlB = b + "&user=\(under.actor("appa"))"
        #expect(try appA.run(["count", "hit", "--db", urlA]).status == 0)
        let foreign = try appA.run(["status", "--db", urlB])
        #expect(foreign.status == 1 && isOneSentence(foreign) && foreign.stderr.contains("permission denied"), "\(foreign.stderr)")
        let counted = try appA.run(["count", "hit", "--db", urlB])
        #expect(counted.status == 1)
        #expect((try migctl.json(["status", "--json", "--db", b]) as? [String: Any])?["counters"] as? [String: Int] == ["hit": 5])

        let nowhere = try migctl.run(["status", "--db", under.other("nothing")])
        #expect(nowhere.status == 1 && isOneSentence(nowhere) && nowhere.stderr.contains("migctl init"), "\(nowhere.stderr)")
        #expect(!under.exists(under.other("nothing")))
    }

    // MARK: - URLs

    @Test(arguments: [
        "postgresql://ana:secretpw@127.0.0.1:1/ops?foo=1",
        "postgresql://ana:secretpw@127.0.0.1:1/ops?sslmode=maybe",
        "postgresql://ana:secretpw@127.0.0.1:99999/ops",
        "postgresql://ana:secretpw@127.0.0.1:port/ops",
        "postgresql://ana@127.0.0.1:1/ops?password=secretpw&schema=Bad-Schema",
        "postgresql://ana@127.0.0.1:1/ops?password=secretpw&connect_timeout=soon",
        "postgres://ana:secretpw@[::1/ops",
        "postgresql://ana:secretpw@127.0.0.1:1/ops",
        "postgresql://ana:secretpw@/ops?host=/nonexistent-socket-folder&port=5432",
    ])
    func aBadURLIsOneSentenceAndNeverShowsThePassword(_ url: String) throws {
        let folder = TemporaryDirectory()
        var migctl = MigctlProcess(folder: folder.url)
        migctl.environment["MIGCTL_ACTOR"] = nil   // about the URL alone: no actor to refuse first
        for command in [["status"], ["advance"], ["init", "--name", "m"]] {
            let result = try migctl.run(command + ["--db", url])
            // A malformed URL is a usage error; a well-formed one whose server is not there, an error.
            let wellFormed = url.hasSuffix("127.0.0.1:1/ops") || url.contains("nonexistent-socket-folder")
            #expect(result.status == (wellFormed ? 1 : 64), "\(command): \(result.status) \(result.stderr)")
            #expect(isOneSentence(result), "\(command): \(result.stderr)")
            #expect(!result.stderr.contains("secretpw") && !result.stdout.contains("secretpw"), "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty, "nothing was created")
        var fromEnvironment = migctl
        fromEnvironment.environment["PGPASSWORD"] = "secretpw"
        let variable = try fromEnvironment.run(["status", "--db", "postgresql://ana@127.0.0.1:1/ops"])
        #expect(variable.status == 1 && !variable.stderr.contains("secretpw"), "\(variable.stderr)")
    }

    // MARK: - Rules only the server can hold

    /// A plan whose second phase needs an approval nobody may override.
    static let approvalPlan = """
        phases:
          - {id: old-only, reads: old, writes: [old], ramp: false}
          - id: dual-write
            reads: old
            writes: [old, new]
            gates:
              - {kind: approval, within: 1h, overridable: false}
        """

    /// An advance into dual-write as plain SQL, the way any client of the server could send it.
    static let advanceBySQL = """
        BEGIN;
        INSERT INTO audit (host, action, from_phase, to_phase, from_rollout, to_rollout, version)
          SELECT 'h', 'advance', 'old-only', 'dual-write', 10000, 0, version + 1 FROM state;
        UPDATE state SET phase = 'dual-write', rollout = 0, version = version + 1;
        COMMIT;
        """

    @Test func aNonOverridableApprovalIsTheServersRuleForEveryClient() throws {
        let under = try StoreUnderTest(.postgres)
        _ = try ownedStore(under, plan: Self.approvalPlan)
        let ana = try under.migctl(as: "ana")
        let forced = try ana.run(["advance", "--force", "--reason", "in a hurry"])
        #expect(forced.status != 0, "migctl refuses it itself")
        let bySQL = try under.sql(Self.advanceBySQL, as: "ana")
        #expect(bySQL.status != 0 && bySQL.stderr.contains("needs another login's approval"), "\(bySQL.stderr)")
        #expect(try ana.run(["approve", "dual-write"]).status == 0)
        let ownApproval = try under.sql(Self.advanceBySQL, as: "ana")
        #expect(ownApproval.status != 0 && ownApproval.stderr.contains("needs another login's approval"),
                "one's own approval does not count, on the server either: \(ownApproval.stderr)")
        #expect(try under.migctl(as: "bo", roles: [.approver]).run(["approve", "dual-write"]).status == 0)
        let approved = try under.sql(Self.advanceBySQL, as: "ana")
        #expect(approved.status == 0, "\(approved.stderr)")
        #expect(try ana.run(["log", "--verify"]).status == 0)
    }

    @Test func theAuditRowOfAChangeMustBeThatTransactionsOwn() throws {
        let under = try StoreUnderTest(.postgres)
        _ = try ownedStore(under)
        try under.login("op", roles: [.operator])
        let before = try under.dump()
        let earlier = try under.sql("""
            INSERT INTO audit (host, action, from_phase, to_phase, from_rollout, to_rollout, version)
              SELECT 'h', 'advance', 'old-only', 'dual-write', 10000, 0, version + 1 FROM state;
            """, as: "op")
        #expect(earlier.status == 0, "an audit row alone is the login's own record: \(earlier.stderr)")
        let later = try under.sql("UPDATE state SET phase = 'dual-write', rollout = 0, version = version + 1", as: "op")
        #expect(later.status != 0 && later.stderr.contains("first insert the audit row"), "\(later.stderr)")
        let wrongOrigin = try under.sql("""
            BEGIN;
            INSERT INTO audit (host, action, from_phase, to_phase, from_rollout, to_rollout, version)
              SELECT 'h', 'advance', 'read-new', 'dual-write', 10000, 0, version + 1 FROM state;
            UPDATE state SET phase = 'dual-write', rollout = 0, version = version + 1;
            COMMIT;
            """, as: "op")
        #expect(wrongOrigin.status != 0 && wrongOrigin.stderr.contains("first insert the audit row"), "\(wrongOrigin.stderr)")
        #expect(try under.dump() != before, "the lone audit row stays, chained")
    }

    @Test func aLoginCannotShadowTheFunctionsTheRulesCall() throws {
        let under = try StoreUnderTest(.postgres)
        _ = try ownedStore(under)
        let op = try under.login("op", roles: [.operator])
        let evil = under.schema("evil")
        #expect(under.superuserSQL("GRANT CREATE ON DATABASE postgres TO \(op);").status == 0)
        let shadowed = try under.sql("""
            CREATE SCHEMA \(evil);
            CREATE FUNCTION \(evil).now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
            SET search_path = \(evil), pg_catalog, \(under.schema());
            \(Self.advanceBySQL)
            """, as: "op")
        #expect(shadowed.status == 0, "\(shadowed.stderr)")
        let stamped = try under.sql("SELECT extract(year FROM phase_since)::int FROM state", as: "op")
        #expect(stamped.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(Calendar(identifier: .gregorian).component(.year, from: Date()))",
                "the server's clock stamped the change, not the login's now(): \(stamped.stdout)")
        #expect(try under.migctl(as: "op", roles: [.operator]).run(["log", "--verify"]).status == 0)
    }
}
