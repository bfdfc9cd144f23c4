import Foundation
import MigrationCore
import Testing
import TestSupport

/// `migctl backfill pause|resume|rate|batch|status` on both stores: each change audited, bad
/// values usage errors that write nothing, a hostile control row read as paused, an application
/// login refused on PostgreSQL, and `status --wait` returning when done and failing on a stall.
struct BackfillCommandTests {
    @Test(arguments: StoreKind.allCases)
    func operatorsSteerTheBackfillAndEveryChangeIsAudited(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        let fresh = try #require(try migctl.json(["backfill", "status", "--json"]) as? [String: Any])
        #expect(fresh["paused"] as? Bool == false && fresh["rate"] as? Int == 0 && fresh["batch"] as? Int == 500)

        let paused = try migctl.run(["backfill", "pause", "--reason", "replica lag"])
        #expect(paused.status == 0 && paused.stdout == "backfill paused; now paused, no rate limit, batches of 500\n", "\(paused.stderr)")
        #expect(try migctl.run(["backfill", "rate", "250"]).status == 0)
        #expect(try migctl.run(["backfill", "batch", "1000"]).status == 0)
        #expect(try migctl.run(["backfill", "resume"]).status == 0)
        let status = try #require(try migctl.json(["backfill", "status", "--json"]) as? [String: Any])
        #expect(status["paused"] as? Bool == false && status["rate"] as? Int == 250 && status["batch"] as? Int == 1000)
        #expect(status["changedBy"] as? String != nil && status["changedAt"] as? String != nil)

        let log = try #require(try migctl.json(["log", "--json", "--limit", "10"]) as? [[String: Any]])
        let changes = log.filter { $0["action"] as? String == "backfill" }
        #expect(changes.count == 4 && changes.last?["reason"] as? String == "replica lag")
        #expect(try migctl.run(["log", "--verify"]).status == 0)

        let before = try under.dump()
        for bad in [["batch", "0"], ["batch", "100001"], ["rate", "--", "-1"], ["rate", "1000000001"], ["rate", "fast"]] {
            let refused = try migctl.run(["backfill"] + bad)
            #expect(refused.status == 64, "\(bad): \(refused.stderr)")
        }
        #expect(try under.dump() == before, "a refused change writes nothing")
    }

    /// Each change writes its own setting only. (The command used to read the whole row, change
    /// one field and write the row back: a pause made between another operator's read and write
    /// was undone. The store API now takes the change, so no caller can write a stale row.)
    @Test(arguments: StoreKind.allCases)
    func changesOfDifferentSettingsNeverUndoEachOther(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        let store = try under.open()
        let event = { AuditEvent(at: Date(), actor: try store.login() ?? "tester", host: "h", action: AuditAction.backfill.rawValue) }
        try store.changeJobControl(.backfill, .rate(100), event: try event())
        #expect(try migctl.run(["backfill", "pause"]).status == 0)   // another operator, meanwhile
        try store.changeJobControl(.backfill, .batch(50), event: try event())
        let control = try store.jobControl(.backfill)
        #expect(control.paused && control.rate == 100 && control.batch == 50)
    }

    @Test(arguments: StoreKind.allCases)
    func aHostileControlRowReadsAsPausedAndSaysWhy(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        #expect(try migctl.run(["backfill", "rate", "10"]).status == 0)
        try under.sqlAsAttacker(kind == .sqlite ? "UPDATE job_control SET batch = 'lots', paused = 0"
                                                : "ALTER TABLE job_control DROP CONSTRAINT job_control_batch_check; UPDATE job_control SET batch = 0, paused = false")
        let status = try migctl.run(["backfill", "status"])
        #expect(status.stdout.contains("backfill: paused"), "a damaged brake stops the job: \(status.stdout)\(status.stderr)")
    }

    @Test func anApplicationLoginMayNotSteerTheBackfill() throws {
        let under = try StoreUnderTest(.postgres)
        _ = try under.initialized(plan: Plan.ungatedYAML)
        let app = try under.migctl(as: "svc", roles: [.app])
        let refused = try app.run(["backfill", "pause"])
        #expect(refused.status == 1 && refused.stderr.contains("permission denied"), "\(refused.stderr)")
        let status = try app.run(["backfill", "status"])
        #expect(status.status == 0 && status.stdout.contains("backfill: running"), "an application may read it: \(status.stderr)")
    }

    @Test func statusWaitReturnsWhenDoneAndFailsOnAStall() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        for (gauge, value) in [("backfill.total", "10"), ("backfill.done", "4"), ("backfill.remaining", "6")] {
            #expect(try migctl.run(["gauge", gauge, value]).status == 0)
        }
        let stalled = try migctl.run(["backfill", "status", "--wait", "--stall", "1s", "--interval", "100ms"])
        #expect(stalled.status == 1 && stalled.stderr.contains("has stalled: no progress for 1s"), "\(stalled.stderr)")
        #expect(try migctl.run(["gauge", "backfill.remaining", "0"]).status == 0)
        let done = try migctl.run(["backfill", "status", "--wait", "--interval", "100ms"])
        #expect(done.status == 0 && done.stdout.hasSuffix("backfill: done\n"), "\(done.stdout)\(done.stderr)")
    }
}
