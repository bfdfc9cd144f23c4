import Foundation
import MigrationCore
import Testing
import TestSupport

/// `migctl verify` on both stores: steering audited as `verify`, `status` and `report` from the
/// run the application recorded (keys sanitised), `status --wait` exit codes, and the
/// `verified` gate refusing `cleanup`, even forced, until a clean run covers `backfill`.
struct VerifyCommandTests {
    /// The ungated plan with a non-overridable `verified` gate before cleanup.
    static let plan = Plan.ungatedYAML.replacingOccurrences(
        of: "  - {id: cleanup, reads: new, writes: [new], ramp: false}",
        with: "  - {id: cleanup, reads: new, writes: [new], ramp: false, gates: [{kind: verified, since: backfill, overridable: false}]}")

    func initialized(_ under: StoreUnderTest) throws -> MigctlProcess {
        #expect(Self.plan.contains("kind: verified"))
        let migctl = try under.initialized(plan: Self.plan)
        for _ in 0..<5 {   // to backfill: dual-write, read-new, new-primary, new-only, backfill
            var result = try migctl.run(["rollout", "100%"])
            if result.status != 0 && !result.stderr.contains("not a ramped phase") { Issue.record("\(result.stderr)") }
            let next = try #require(try migctl.json(["status", "--json"]) as? [String: Any])["next"] as? String
            result = try migctl.run(["advance", "--confirm", next ?? ""])
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(try (migctl.json(["status", "--json"]) as? [String: Any])?["phase"] as? String == "backfill")
        return migctl
    }

    /// A verify run as the application's Verifier records it, started now in the current phase.
    func record(_ under: StoreUnderTest, done: Int64, total: Int64, finished: Bool, mismatches: [String]) throws -> Date {
        let store = try under.open()
        let state = try store.state()
        let started = Timestamp.date(Timestamp.string(Date().addingTimeInterval(-10)))!
        let progress = JobProgress(cursor: "user-\(done)", done: done, total: total, startedAt: started,
                                   finishedAt: finished ? Date() : nil, instance: "svc-1-ABCDEFGH", sincePhase: state.phase,
                                   phaseEnteredAt: state.phaseSince, mismatches: Int64(mismatches.count))
        try store.saveJobProgress(.verify, progress, mismatches: mismatches.map {
            VerifyMismatch(runStartedAt: started, key: $0, oldDigest: String(repeating: "ab", count: 32), newDigest: VerifyMismatch.absent,
                           foundAt: Date())
        })
        return started
    }

    @Test(arguments: StoreKind.allCases)
    func operatorsSteerTheVerifierAndEveryChangeIsAudited(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        let paused = try migctl.run(["verify", "pause", "--reason", "peak hours"])
        #expect(paused.status == 0 && paused.stdout == "verify paused; now paused, no rate limit, batches of 500\n", "\(paused.stderr)")
        #expect(try migctl.run(["verify", "rate", "2000"]).status == 0)
        let status = try #require(try migctl.json(["verify", "status", "--json"]) as? [String: Any])
        #expect(status["job"] as? String == "verify" && status["paused"] as? Bool == true && status["rate"] as? Int == 2000)
        #expect(try (migctl.json(["backfill", "status", "--json"]) as? [String: Any])?["paused"] as? Bool == false, "each job has its own brake")
        let log = try #require(try migctl.json(["log", "--json", "--limit", "5"]) as? [[String: Any]])
        #expect(log.filter { $0["action"] as? String == "verify" }.count == 2)
        #expect(try migctl.run(["log", "--verify"]).status == 0)
        #expect(try migctl.run(["verify", "batch", "0"]).status == 64)
        let none = try migctl.run(["verify", "report"])
        #expect(none.status == 0 && none.stdout == "no verification has run yet\n", "\(none.stdout)\(none.stderr)")
    }

    @Test(arguments: StoreKind.allCases)
    func theReportListsTheRunsKeysWithNothingRawAndTheGateRefusesCleanup(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        let hostile = "user-7\u{1B}]0;owned\u{07}\u{1B}[2J"
        _ = try record(under, done: 40, total: 100, finished: false, mismatches: ["user-3", hostile])

        #expect(try migctl.run(["gauge", "verify.full.rate", "6"]).status == 0)   // as the Verifier publishes it
        let status = try #require(try migctl.json(["verify", "status", "--json"]) as? [String: Any])
        #expect(status["done"] as? Int == 40 && status["total"] as? Int == 100 && status["mismatches"] as? Int == 2)
        #expect(status["sincePhase"] as? String == "backfill" && status["rowsPerSecond"] as? Double == 6 && status["etaSeconds"] as? Int == 10)
        let text = try migctl.run(["verify", "status"])
        #expect(text.stdout.contains("progress: 40 of 100 rows checked (40.0%), 60 remaining, 6 rows/s") && text.stdout.contains("mismatches: 2"),
                "\(text.stdout)")

        let report = try migctl.run(["verify", "report"])
        #expect(report.status == 0 && report.stdout.contains("2 mismatches") && report.stdout.contains("user-3  old abababababab  new absent"),
                "\(report.stdout)\(report.stderr)")
        #expect(!report.stdout.contains("\u{1B}") && !report.stdout.contains("\u{07}"), "nothing from a key reaches the terminal raw")
        let json = try #require(try migctl.json(["verify", "report", "--json"]) as? [String: Any])
        let shown = try #require(json["shown"] as? [[String: Any]])
        #expect(shown.map { $0["key"] as? String } == ["user-3", hostile] && shown[0]["oldDigest"] as? String == String(repeating: "ab", count: 32))

        let check = try migctl.run(["check"])
        #expect(check.status == 3 && check.stdout.contains("full verification since backfill") && check.stdout.contains("'user-3'"),
                "\(check.stdout)\(check.stderr)")
        #expect(!check.stdout.contains("\u{1B}]0;owned"), "\(check.stdout)")
        let forced = try migctl.run(["advance", "--force", "--reason", "in a hurry"])
        #expect(forced.status == 3, "a verified gate is not overridable: \(forced.stdout)\(forced.stderr)")
        #expect(try (migctl.json(["status", "--json"]) as? [String: Any])?["phase"] as? String == "backfill")
    }

    @Test(arguments: StoreKind.allCases)
    func aCleanFinishedRunOpensTheGateAndStatusWaitSaysHowItEnded(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try initialized(under)
        _ = try record(under, done: 100, total: 100, finished: true, mismatches: ["user-9"])
        let failed = try migctl.run(["verify", "status", "--wait", "--interval", "100ms"])
        #expect(failed.status == 3 && failed.stderr.contains("found 1 mismatching key"), "\(failed.stdout)\(failed.stderr)")

        _ = try record(under, done: 100, total: 100, finished: true, mismatches: [])
        let done = try migctl.run(["verify", "status", "--wait", "--interval", "100ms"])
        #expect(done.status == 0 && done.stdout.hasSuffix("verify: done\n"), "\(done.stdout)\(done.stderr)")
        let advanced = try migctl.run(["advance"])
        #expect(advanced.status == 0, "\(advanced.stdout)\(advanced.stderr)")
        #expect(try (migctl.json(["status", "--json"]) as? [String: Any])?["phase"] as? String == "cleanup")
    }

    /// A run made before the migration went back to an earlier phase does not count.
    @Test func aRunBeforeAMoveBackDoesNotOpenTheGate() throws {
        let under = try StoreUnderTest(.sqlite)
        let migctl = try initialized(under)
        _ = try record(under, done: 100, total: 100, finished: true, mismatches: [])
        #expect(try migctl.run(["rollback", "--reason", "lag"]).status == 0)
        #expect(try migctl.run(["advance"]).status == 0)
        let check = try migctl.run(["check"])
        #expect(check.status == 3 && check.stdout.contains("moved back from backfill to new-only"), "\(check.stdout)\(check.stderr)")
    }
}
