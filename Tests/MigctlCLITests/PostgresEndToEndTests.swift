import Foundation
import TestSupport
import Testing

/// Whole journeys on the PostgreSQL store: the demo's migration with its invariants, and an
/// operator driving a migration from the console in a real terminal.
@Suite(.serialized)
struct PostgresEndToEndTests {
    @Test func theDemoMigratesOnPostgreSQLAndItsInvariantsHold() throws {
        let under = try StoreUnderTest(.postgres)
        var migctl = MigctlProcess(folder: under.folder.url)
        migctl.environment["MIGCTL_ACTOR"] = nil
        let result = try migctl.run(["demo", "--autopilot", "--db", under.db, "--dir", under.folder.path("stores"),
                                     "--records", "2000", "--soak", "2"])
        #expect(result.status == 0, "\(result.stdout.suffix(2000)) \(result.stderr)")
        #expect(result.stdout.contains("verdict PASS") && result.stdout.contains("invariants hold"))
        #expect(!FileManager.default.fileExists(atPath: under.folder.path("stores/migctl.db")), "the control store is the server's")
        // The approvals came from a second login, and the audit chain the server built verifies.
        let log = try #require(try migctl.json(["log", "--db", under.db, "--json", "--limit", "200"]) as? [[String: Any]])
        let approvers = Set(log.filter { $0["action"] as? String == "approve" }.compactMap { $0["actor"] as? String })
        let advancers = Set(log.filter { $0["action"] as? String == "advance" }.compactMap { $0["actor"] as? String })
        #expect(!approvers.isEmpty && approvers.isDisjoint(with: advancers), "approvers \(approvers), advancers \(advancers)")
        #expect(try migctl.run(["log", "--db", under.db, "--verify"]).status == 0)
        let approver = under.superuserSQL("SELECT count(*) FROM pg_roles WHERE rolname = '\(under.schema())_demo_approver'")
        #expect(approver.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0",
                "the password-less approver login the demo made is gone: \(approver.stdout) \(approver.stderr)")
    }

    @Test func anOperatorDrivesAPostgreSQLMigrationFromTheConsole() throws {
        let under = try StoreUnderTest(.postgres)
        var migctl = MigctlProcess(folder: under.folder.url)
        migctl.environment["MIGCTL_ACTOR"] = nil
        try Data(CLITests.ungatedPlan.utf8).write(to: under.folder.url.appending(path: "ungated.yaml"))
        #expect(try migctl.run(["init", "--db", under.db, "--name", "users-v2", "--plan", "ungated.yaml"]).status == 0)
        let alice = try under.location(as: "alice")
        var environment = Tmux.environment(actor: nil)
        environment["MIGCTL_DB"] = alice
        let tmux = try Tmux(width: 100, height: 30, folder: under.folder.url, environment: environment)
        try tmux.type("\(MigctlProcess.binary.path) console; echo EXIT=$?", enter: true)
        try tmux.waitFor(text: "Phases")

        try tmux.type("n")
        try tmux.waitFor(text: "Reason (for the audit log)")
        try tmux.type("dual writes deployed", enter: true)
        try tmux.waitFor(text: "now in dual-write")
        try tmux.type("+")
        try tmux.waitFor(text: "0% → 1%")
        try tmux.type("first ramp", enter: true)
        try tmux.waitFor(text: "rollout of dual-write is now 1%")

        // A change another operator makes on the server shows up without a key.
        #expect(try migctl.run(["rollout", "--db", under.db, "5"]).status == 0)
        try tmux.waitFor(text: "5%", timeout: 5)

        try tmux.type("q")
        try tmux.waitFor(text: "EXIT=0")
        let status = try #require(try migctl.json(["status", "--db", under.db, "--json"]) as? [String: Any])
        #expect(status["phase"] as? String == "dual-write" && status["rollout"] as? Double == 5)
        let log = try #require(try migctl.json(["log", "--db", under.db, "--json"]) as? [[String: Any]])
        #expect(log.contains { $0["action"] as? String == "advance" && $0["actor"] as? String == under.actor("alice") },
                "the console's change is the login's")
    }
}
