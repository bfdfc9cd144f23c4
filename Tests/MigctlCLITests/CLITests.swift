import Foundation
import MigrationCore
import TestSupport
import Testing

/// The command line on both stores: each test marked `arguments: StoreKind.allCases` runs against
/// the SQLite file and a PostgreSQL schema (see ``StoreUnderTest``); the rest are about files.
struct CLITests {
    let folder = TemporaryDirectory()
    var migctl: MigctlProcess { MigctlProcess(folder: folder.url) }

    static let ungatedPlan = Plan.ungatedYAML

    func initialized() throws -> MigctlProcess {
        try Data(Self.ungatedPlan.utf8).write(to: folder.url.appending(path: "ungated.yaml"))
        let result = try migctl.run(["init", "--name", "users-v2", "--plan", "ungated.yaml"])
        #expect(result.status == 0, "\(result.stderr)")
        return migctl
    }

    /// The store of `under` created by `migctl init` with the ungated plan; migctl pointed at it.
    func initialized(_ under: StoreUnderTest) throws -> MigctlProcess {
        try under.initialized(plan: Self.ungatedPlan)
    }

    @Test(arguments: StoreKind.allCases)
    func initCreatesTheStoreAndRefusesToDoItTwice(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        #expect(under.exists())
        let before = try under.dump()
        let again = try migctl.run(["init", "--name", "other"])
        #expect(again.status == 1 && again.stderr.contains("already") && again.stderr.split(separator: "\n").count == 1, "\(again.stderr)")
        #expect(try under.dump() == before)
    }

    @Test func theDatabasePathComesFromTheFlagThenTheEnvironment() throws {
        var migctl = self.migctl
        migctl.environment["MIGCTL_DB"] = "from-env.db"
        #expect(try migctl.run(["init", "--name", "m"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: folder.url.appending(path: "from-env.db").path))
        #expect(try migctl.run(["status", "--db", "from-env.db"]).status == 0)
        #expect(try migctl.run(["status", "--db", "elsewhere.db"]).status == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func statusJSONHasTheContractFields(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        #expect(try migctl.run(["count", "hit", "7"]).status == 0)
        #expect(try migctl.run(["count", "hit"]).status == 0)
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["migration"] as? String == "users-v2")
        #expect(status["phase"] as? String == "old-only")
        #expect(status["rollout"] as? Double == 100)
        #expect(status["version"] as? Int == 1)
        #expect((status["since"] as? String)?.hasSuffix("Z") == true)
        #expect(status["changedBy"] as? String == under.actor())
        #expect(status["next"] as? String == "dual-write")
        #expect(status["irreversible"] as? Bool == false)
        #expect(status["counters"] as? [String: Int] == ["hit": 8])
    }

    @Test(arguments: StoreKind.allCases)
    func walkingThePlanEndToEnd(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        #expect(try migctl.run(["advance", "--reason", "dual writes deployed"]).status == 0)
        #expect(try migctl.run(["rollout", "12.5"]).stdout.contains("0% → 12.5%"))
        #expect(try migctl.run(["rollout", "100"]).status == 0)
        #expect(try migctl.run(["advance", "--to", "read-new", "--rollout", "50"]).status == 0)
        #expect(try migctl.run(["rollback", "--to", "dual-write"]).status == 0)
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["phase"] as? String == "dual-write" && status["rollout"] as? Double == 100)
        #expect(status["version"] as? Int == 6)
        let log = try #require(try migctl.json(["log", "--json", "--limit", "3"]) as? [[String: Any]])
        #expect(log.map { $0["action"] as? String } == ["rollback", "advance", "rollout"])
        #expect(log[0]["actor"] as? String == under.actor())
        let text = try migctl.run(["log"]).stdout
        #expect(text.contains("advance  old-only → dual-write") && text.contains("\"dual writes deployed\""))
        #expect(try migctl.run(["log", "--verify"]).status == 0)
    }

    @Test(arguments: StoreKind.allCases)
    func changeCommandsPrintTheirChangeAsJSON(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        let change = try #require(try migctl.json(["advance", "--json"]) as? [String: Any])
        #expect(change["changed"] as? Bool == true)
        #expect((change["after"] as? [String: Any])?["phase"] as? String == "dual-write")
        let same = try #require(try migctl.json(["rollout", "0", "--json"]) as? [String: Any])
        #expect(same["changed"] as? Bool == false)
    }

    @Test(arguments: StoreKind.allCases)
    func refusalsByThePlanExitSixAndChangeNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        for args in [["rollback"], ["rollout", "50"]] {
            let before = try under.dump()
            let result = try migctl.run(args)
            #expect(result.status == 6, "\(args): \(result.stderr)")
            #expect(result.stderr.hasPrefix("migctl: ") && result.stderr.split(separator: "\n").count == 1)
            #expect(try under.dump() == before)
        }
        #expect(try migctl.run(["advance", "--to", "read-new"]).status == 6)
        #expect(try migctl.run(["advance"]).status == 0)
        #expect(try migctl.run(["advance"]).status == 6, "advancing at 0% is refused")
        _ = try migctl.run(["rollout", "100"])
        #expect(try migctl.run(["advance"]).status == 0)
        _ = try migctl.run(["rollout", "100"])
        #expect(try migctl.run(["advance", "--confirm", "new-primary"]).status == 0)
        #expect(try migctl.json(["status", "--json"]) as? [String: Any] != nil)
        #expect(try migctl.run(["rollout", "10"]).status == 0)
        let down = try migctl.run(["rollout", "5"])
        #expect(down.status == 6 && down.stderr.contains("may only go up"))
        let back = try migctl.run(["rollback"])
        #expect(back.status == 6 && back.stderr.contains("irreversible"))
    }

    @Test(arguments: StoreKind.allCases)
    func aStaleExpectedVersionExitsFive(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        let before = try under.dump()
        let result = try migctl.run(["advance", "--expect-version", "7"])
        #expect(result.status == 5 && result.stderr.contains("changed under you"))
        #expect(try under.dump() == before)
        #expect(try migctl.run(["advance", "--expect-version", "1"]).status == 0)
        #expect(try migctl.run(["rollout", "50", "--expect-version", "1"]).status == 5)
    }

    @Test(arguments: StoreKind.allCases)
    func racingProcessesFromTheSameVersionProduceExactlyOneWinner(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        // Eight operators, each with their own name (on PostgreSQL their own login).
        let processes = try (0..<8).map { i in
            try under.migctl(as: "op\(i)").start(["advance", "--expect-version", "1"])
        }
        for process in processes {
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        let statuses = processes.map(\.terminationStatus).sorted()
        #expect(statuses == [0, 5, 5, 5, 5, 5, 5, 5])
        let log = try #require(try migctl.json(["log", "--json"]) as? [[String: Any]])
        let advances = log.filter { $0["action"] as? String == "advance" }
        #expect(advances.count == 1)
        let winner = try #require(processes.firstIndex { $0.terminationStatus == 0 })
        #expect(advances.first?["actor"] as? String == under.actor("op\(winner)"), "the audit names the process that won")
        #expect(try migctl.run(["log", "--verify"]).status == 0)
    }

    @Test func aMissingOrForeignFileIsRefusedWithoutCreatingOrChangingIt() throws {
        let missing = try migctl.run(["status", "--db", "nothing-here.db"])
        #expect(missing.status == 1 && missing.stderr.contains("migctl init"))
        #expect(!FileManager.default.fileExists(atPath: folder.url.appending(path: "nothing-here.db").path))
        for command in [["count", "hit"], ["advance"], ["log"], ["gauge", "lag", "1"], ["bucket", "k"], ["upgrade"]] {
            #expect(try migctl.run(command + ["--db", "nothing-here.db"]).status == 1, "\(command)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.url.appending(path: "nothing-here.db").path))

        let text = folder.url.appending(path: "notes.txt")
        try Data("my notes, not a database".utf8).write(to: text)
        let foreign = try migctl.run(["advance", "--db", "notes.txt"])
        #expect(foreign.status == 1 && foreign.stderr.contains("not a SQLite database"))
        #expect(try String(contentsOf: text, encoding: .utf8) == "my notes, not a database")
    }

    @Test(arguments: StoreKind.allCases)
    func aStoreThatWasNeverCreatedIsRefusedByEveryCommandAndStaysAbsent(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = under.migctl
        for command in [["status"], ["count", "hit"], ["advance"], ["log"], ["gauge", "lag", "1"], ["bucket", "k"], ["fleet"],
                        ["approve", "dual-write"], ["checklist"]] {
            let result = try migctl.run(command)
            #expect(result.status == 1 && result.stderr.split(separator: "\n").count == 1, "\(command): \(result.stderr)")
        }
        #expect(!under.exists())
    }

    @Test(arguments: StoreKind.allCases)
    func anUnknownSchemaVersionIsRefused(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        try under.setSchemaVersion(42)
        let result = try migctl.run(["status"])
        #expect(result.status == 1 && result.stderr.contains("schema version 42"), "\(result.stderr)")
    }

    @Test(arguments: StoreKind.allCases, [
        ["rollout", "150"], ["rollout", "12.345"], ["rollout", "abc"], ["advance", "--rollout", "-3"],
        ["count", "Bad Name"], ["count", "hit", "0"], ["count", "hit", "-4"], ["count", "hit", "99999999999999999999"],
        ["gauge", "lag", "nan"], ["gauge", "x\u{1b}[2J", "1"], ["log", "--limit", "0"], ["frobnicate"],
        ["advance", "--expect-version", "soon"], ["bucket"], ["advance", "--actor", " "],
    ])
    func badInputIsAUsageErrorAndChangesNothing(_ kind: StoreKind, arguments: [String]) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        let before = try under.dump()
        let result = try migctl.run(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(!result.stderr.contains("\u{1b}"), "escape sequences are not echoed")
        #expect(try under.dump() == before)
    }

    @Test(arguments: StoreKind.allCases)
    func badInitInputCreatesNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let bad = try under.migctl.run(["init", "--name", "Not Valid"])
        #expect(bad.status == 64)
        try Data("phases:\n  - id: a\n    reads: sideways\n    writes: [old]\n".utf8).write(to: under.folder.url.appending(path: "plan.yaml"))
        let plan = try under.migctl.run(["init", "--name", "m", "--plan", "plan.yaml"])
        #expect(plan.status == 1 && plan.stderr.contains("plan.yaml:3: phases[1].reads"))
        #expect(!under.exists())
    }

    @Test(arguments: StoreKind.allCases)
    func aCustomPlanAndItsRunbooksAreCopiedIn(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let folder = under.folder
        try Data("# Only phase\n- [ ] check it\n".utf8).write(to: folder.url.appending(path: "a.md"))
        try Data("""
            phases:
              - id: a
                reads: old
                writes: [old]
                runbook: a.md
              - id: b
                reads: new
                writes: [new, old]
                irreversible: true
            """.utf8).write(to: folder.url.appending(path: "plan.yaml"))
        let migctl = under.migctl
        #expect(try migctl.run(["init", "--name", "m", "--plan", "plan.yaml"]).status == 0)
        try FileManager.default.removeItem(at: folder.url.appending(path: "a.md"))
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["phases"] as? Int == 2 && status["next"] as? String == "b" && status["pointOfNoReturn"] as? String == "b")
        #expect(try migctl.run(["checklist"]).stdout.contains("check it"), "the runbook's checklist was copied in")
    }

    @Test(arguments: StoreKind.allCases)
    func bucketPrintsKeysBucketsAndMembership(_ kind: StoreKind) throws {
        let offline = try migctl.run(["bucket", "--salt", "users-v2", "--rollout", "20", "user-1", "user-2", "a\tb"])
        let tabbed = try bucketOf("a\tb")
        #expect(offline.stdout == "user-1\t1826\tin\nuser-2\t6729\tout\na\\tb\t\(tabbed)\t\(Int(tabbed)! < 2000 ? "in" : "out")\n")
        #expect(try migctl.run(["bucket", "--salt", "users-v2", "user-1"]).stdout == "user-1\t1826\n")
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        #expect(try migctl.run(["bucket", "user-42"]).stdout == "user-42\t2273\tin\n", "old-only is at 100%")
        let rows = try #require(try migctl.json(["bucket", "--json", "user-1"]) as? [[String: Any]])
        #expect(rows.first?["bucket"] as? Int == 1826 && rows.first?["in"] as? Bool == true)
        #expect(try migctl.run(["advance"]).status == 0)
        #expect(try migctl.run(["bucket", "user-42"]).stdout == "user-42\t2273\tout\n", "dual-write starts at 0%")
    }

    /// The contract refuses a key that is not valid UTF-8 rather than guess its bucket; Swift's
    /// `CommandLine.arguments` would have repaired it into U+FFFD and bucketed another key.
    @Test
    func anArgumentThatIsNotUTF8IsRefusedNotRepaired() throws {
        // The shell passes the raw byte 0xFF, which Foundation's Process cannot.
        let result = StoreUnderTest.run("/bin/sh", ["-c", #"exec "$0" bucket --salt users-v2 ok "$(printf 'a\377b')""#,
                                                    MigctlProcess.binary.path])
        #expect(result.status == 64, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.isEmpty, "no key is bucketed when one is refused")
        #expect(result.stderr == "migctl: argument 5 is not valid UTF-8; migctl takes text arguments only (a key is hashed as its UTF-8 bytes, so one that is not UTF-8 has no bucket)\n")
    }

    func bucketOf(_ key: String) throws -> String {
        try migctl.run(["bucket", "--salt", "users-v2", key]).stdout.split(separator: "\t").last!.trimmingCharacters(in: .newlines)
    }

    @Test(arguments: StoreKind.allCases)
    func gaugesAndUpgradeWork(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        #expect(try migctl.run(["gauge", "backfill.total", "100000"]).status == 0)
        #expect(try migctl.run(["gauge", "backfill.total", "99.5"]).status == 0)
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["gauges"] as? [String: Double] == ["backfill.total": 99.5])
        let upgrade = try migctl.run(["upgrade"])
        #expect(upgrade.status == 0 && upgrade.stdout.contains("schema version 5") && upgrade.stdout.contains("nothing to do"),
                "\(upgrade.stdout)\(upgrade.stderr)")
    }

    @Test(arguments: StoreKind.allCases)
    func fleetListsInstancesAndForgetIsAudited(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        let store = try under.open()
        let now = Date()
        try store.flush(counts: ["hit": 1], second: Int64(now.timeIntervalSince1970), heartbeat: FleetInstance(
            id: "web-1-0a1b2c3d", host: "web-1", pid: 4242, servingVersion: 1, heartbeatAt: now, startedAt: now))
        let fleet = try #require(try migctl.json(["fleet", "--json"]) as? [[String: Any]])
        #expect(fleet.count == 1 && fleet[0]["id"] as? String == "web-1-0a1b2c3d" && fleet[0]["pid"] as? Int == 4242)
        #expect(fleet[0]["live"] as? Bool == true && fleet[0]["current"] as? Bool == true && fleet[0]["stale"] as? Bool == false)
        #expect(try migctl.run(["fleet"]).stdout.contains("instances 1/1 live on v1"))
        #expect(try migctl.run(["advance"]).status == 0)
        let behind = try migctl.run(["fleet"]).stdout
        #expect(behind.contains("instances 0/1 live on v2") && behind.contains("web-1:4242  v1 (behind)"), "\(behind)")
        let forgot = try migctl.run(["fleet", "forget", "web-1-0a1b2c3d", "--reason", "host decommissioned"])
        #expect(forgot.status == 0 && forgot.stdout.contains("forgot web-1:4242"), "\(forgot.stderr)")
        #expect((try migctl.json(["fleet", "--json"]) as? [Any])?.isEmpty == true)
        let log = try #require(try migctl.json(["log", "--json", "--limit", "1"]) as? [[String: Any]])
        #expect(log[0]["action"] as? String == "forget" && log[0]["reason"] as? String == "host decommissioned")
        #expect(try migctl.run(["fleet", "forget", "web-1-0a1b2c3d", "--reason", "again"]).status == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func controlCharactersFromTheDatabaseNeverReachTheTerminal(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        let refused = try migctl.run(["advance", "--reason", "evil", "--actor", "m\u{1b}[31mallory"])
        #expect(refused.status == 64 && !refused.stderr.contains("\u{1b}"), "an actor with an escape is refused: \(refused.stderr)")
        let mallory = try under.migctl(as: "mallory")
        #expect(try mallory.run(["advance", "--reason", "evil \u{1b}]0;pwned\u{07} reason"]).status == 0)
        let log = try migctl.run(["log"]).stdout
        #expect(!log.contains("\u{1b}") && !log.contains("\u{07}"))
        #expect(log.contains("evil ?]0;pwned? reason"))
        #expect(!(try migctl.run(["status"]).stdout.contains("\u{1b}")))
    }

    @Test func helpListsEveryCommand() throws {
        let help = try migctl.run(["--help"]).stdout
        for command in ["init", "status", "advance", "rollback", "rollout", "log", "count", "gauge", "bucket", "upgrade"] {
            #expect(help.contains("  \(command) "), "\(command)")
        }
        #expect(help.contains("Exit codes"))
    }
}

/// Gates, approvals and checklists on both stores. The operator is the fixture's own actor;
/// `bo` approves (on PostgreSQL with a login of their own, since there the actor is the login).
struct GateCLITests {
    func initialized(_ under: StoreUnderTest) throws -> MigctlProcess {
        let folder = under.folder
        try Data("# B\n\n## Checklist\n\n- [ ] backups tested\n- [ ] on-call briefed\n".utf8).write(to: folder.url.appending(path: "a.md"))
        return try under.initialized(plan: """
            phases:
              - id: a
                reads: old
                writes: [old]
                runbook: a.md
              - id: b
                reads: new-fallback-old
                writes: [new, old]
                irreversible: true
                gates:
                  - kind: checklist
                  - kind: approval
                    within: 1h
                  - kind: counter
                    numerator: [verify.mismatch]
                    window: 1h
                    max: 0
                    overridable: false
            """, name: "m")
    }

    @Test(arguments: StoreKind.allCases)
    func checkExitsThreeUntilEveryGatePasses(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        let failing = try migctl.run(["check"])
        #expect(failing.status == 3 && failing.stdout.contains("FAIL    checklist of a: 0/2 ticked"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(try migctl.run(["check", "--json"]).stdout.utf8)) as? [String: Any])
        #expect(report["target"] as? String == "b" && report["irreversible"] as? Bool == true)
        #expect(try migctl.run(["checklist", "--tick", "1", "--tick", "2"]).stdout.contains("2/2 ticked"))
        let approved = try under.migctl(as: "bo").run(["approve", "b", "--reason", "looked at the graphs"])
        #expect(approved.status == 0 && approved.stdout == "approved b as \(under.actor("bo"))\n", "\(approved.stderr)")
        #expect(try migctl.run(["check"]).status == 0)
        #expect(try migctl.run(["check", "--to", "a"]).status == 6)
    }

    @Test(arguments: StoreKind.allCases)
    func advanceRefusesOnFailingGatesThenNeedsTheConfirmation(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        _ = try initialized(under)
        let ana = try under.migctl(as: "ana")
        let before = try under.dump()
        let gated = try ana.run(["advance", "--confirm", "b"])
        #expect(gated.status == 3 && gated.stderr.contains("checklist of a"))
        #expect(try under.dump() == before)
        _ = try ana.run(["checklist", "--tick", "1", "--tick", "2"])
        _ = try under.migctl(as: "bo").run(["approve", "b"])
        #expect(try ana.run(["advance"]).status == 4)
        let wrong = try ana.run(["advance", "--confirm", "new-primary"])
        #expect(wrong.status == 4 && wrong.stderr.contains("is not 'b'"))
        let done = try ana.run(["advance", "--confirm", "b", "--reason", "all green"])
        #expect(done.status == 0, "\(done.stderr)")
        let log = try #require(try ana.json(["log", "--json", "--limit", "1"]) as? [[String: Any]])
        #expect(log[0]["actor"] as? String == under.actor("ana"))
        let details = try #require((log[0]["details"] as? String)?.data(using: .utf8))
        let parsed = try #require(try JSONSerialization.jsonObject(with: details) as? [String: Any])
        #expect(parsed["confirmed"] as? String == "b" && (parsed["gates"] as? [Any])?.count == 3)
    }

    @Test(arguments: StoreKind.allCases)
    func forceOverridesOnlyWhatThePlanAllowsAndIsAudited(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        #expect(try migctl.run(["advance", "--force", "--confirm", "b"]).status == 64, "an override needs a reason")
        let forced = try migctl.run(["advance", "--force", "--reason", "approver is on leave", "--confirm", "b"])
        #expect(forced.status == 0, "\(forced.stderr)")
        let log = try #require(try migctl.json(["log", "--json", "--limit", "1"]) as? [[String: Any]])
        #expect((log[0]["details"] as? String)?.contains("\"overridden\":[\"checklist of a\",\"approval of b by another operator\"]") == true)
    }

    @Test(arguments: StoreKind.allCases)
    func aGateThatCannotBeOverriddenHolds(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        #expect(try migctl.run(["count", "verify.mismatch"]).status == 0)
        let before = try under.dump()
        let held = try migctl.run(["advance", "--force", "--reason", "ship it", "--confirm", "b"])
        #expect(held.status == 3 && held.stderr.contains("cannot be overridden"))
        #expect(try under.dump() == before)
    }

    @Test(arguments: StoreKind.allCases)
    func checklistTicksRecordWhoAndAreAudited(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        #expect(try migctl.run(["checklist", "--tick", "9"]).status == 1)
        _ = try under.migctl(as: "bo").run(["checklist", "--tick", "2"])
        let items = try #require(try migctl.json(["checklist", "--json"]) as? [[String: Any]])
        #expect(items.count == 2 && items[1]["tickedBy"] as? String == under.actor("bo") && items[0]["tickedBy"] == nil)
        let log = try migctl.run(["log"]).stdout
        #expect(log.contains("tick  a") && log.contains("#2 on-call briefed"))
        #expect(try migctl.run(["checklist", "--untick", "2"]).status == 0)
        let after = try #require(try migctl.json(["checklist", "--json"]) as? [[String: Any]])
        #expect(after.allSatisfy { $0["tickedBy"] == nil })
        #expect(try migctl.run(["log", "--verify"]).status == 0)
    }
}

struct ForeignClientTests {
    let folder = TemporaryDirectory()

    @Test func aPythonClientWorksFromTheContractAlone() throws {
        let migctl = MigctlProcess(folder: folder.url)
        #expect(try migctl.run(["init", "--name", "users-v2"]).status == 0)
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repository.appending(path: "Examples/foreign_client.py").path,
                             folder.url.appending(path: "migctl.db").path,
                             repository.appending(path: "Tests/MigrationCoreTests/Fixtures/bucketing.json").path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("migration=users-v2 phase=old-only rollout=10000 version=1"))
        #expect(text.contains("wrong=0") && !text.contains("vectors=0"))
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(status["counters"] as? [String: Int] == ["hit": 40, "miss": 2])
    }
}

struct DemoCLITests {
    let folder = TemporaryDirectory()

    @Test(.timeLimit(.minutes(3)))
    func demoAutopilotWalksEveryPhaseAndPasses() throws {
        let migctl = MigctlProcess(folder: folder.url)
        let result = try migctl.run(["demo", "--autopilot", "--dir", "demo", "--records", "1500", "--soak", "1", "--rate", "600"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("autopilot: advanced to new-primary (irreversible, confirmed)"))
        #expect(result.stdout.contains("demo: verdict PASS"))
        var status = migctl
        status.environment["MIGCTL_DB"] = "demo/migctl.db"
        let state = try #require(try status.json(["status", "--json"]) as? [String: Any])
        #expect(state["phase"] as? String == "complete")
        let fleet = try status.run(["fleet"])
        #expect(fleet.status == 0 && fleet.stdout.contains("instances 0/0 live"), "the demo's client left the fleet on shutdown")
    }

    @Test(arguments: StoreKind.allCases)
    func simulateRunsAgainstAnExistingStoreAndReportsItsInstance(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = under.migctl
        #expect(try migctl.run(["init", "--name", "m"]).status == 0)
        let process = try migctl.start(["simulate", "--db", under.db, "--stores", ".", "--records", "500", "--seconds", "3"])
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let fleet = eventually { (try? migctl.json(["fleet", "--json"]) as? [[String: Any]]).flatMap { $0.isEmpty ? nil : $0 } }
        #expect(fleet?.first?["live"] as? Bool == true && fleet?.first?["servingVersion"] as? Int == 1)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && text.contains("invariants hold"), "\(text)")
        #expect(try migctl.run(["fleet"]).stdout.contains("instances 0/0 live"), "the client left the fleet on shutdown")
        let status = try #require(try migctl.json(["status", "--json"]) as? [String: Any])
        #expect(((status["counters"] as? [String: Int])?["write"] ?? 0) > 0, "the service's counts reached the store")
    }
}
