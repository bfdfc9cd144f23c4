import Foundation
import MigrationCore
import Testing
import TestSupport

/// Job records the store's own rules accept but no honest job writes often: a huge total
/// walked slowly since 1970, a verify run stamped by a host whose clock runs ahead. Each reader
/// survives them, and the `verified` gate is not fooled.
struct JobRecordAttackTests {
    /// `status` worked out an ETA of about 2^63 seconds and trapped turning it back into an
    /// Int64 for its words (`DurationArgument.describe`): a crash, not a line.
    @Test(arguments: StoreKind.allCases)
    func anEtaBeyondInt64IsALineNotACrash(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let migctl = try under.initialized(plan: Plan.ungatedYAML)
        let store = try under.open()
        for job in Job.allCases {
            try store.saveJobProgress(job, JobProgress(cursor: "a", done: 1, total: Int64.max, startedAt: Date(timeIntervalSince1970: 0),
                                                       instance: "svc-1-ABCDEFGH"), mismatches: [])
            try store.setGauge(job.rateGauge, to: 0.5, at: Date())   // walked slowly, as the job says
            let text = try migctl.run([job.rawValue, "status"])
            #expect(text.status == 0 && text.stdout.contains("left;") && !text.stderr.contains("Fatal error"), "\(text.stdout)\(text.stderr)")
            let json = try #require(try migctl.json([job.rawValue, "status", "--json"]) as? [String: Any])
            #expect(json["etaSeconds"] as? Int64 == Int64.max)
        }
    }

    /// A verifier whose clock runs 50 s ahead records a clean run; the migration then rolls back
    /// and comes back within the minute. The gate read only the moves after the run's (future)
    /// start, saw none, and let `cleanup` through.
    @Test(arguments: StoreKind.allCases)
    func aRollbackBeforeASkewedRunsStartStillFailsTheGate(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let tests = VerifyCommandTests()
        let migctl = try tests.initialized(under)
        let store = try under.open()
        let state = try store.state()
        let ahead = try #require(Timestamp.date(Timestamp.string(Date().addingTimeInterval(50))))
        try store.saveJobProgress(.verify, JobProgress(cursor: "k", done: 10, total: 10, startedAt: ahead, finishedAt: ahead.addingTimeInterval(1),
                                                       instance: "svc-1-ABCDEFGH", sincePhase: state.phase, phaseEnteredAt: state.phaseSince),
                                  mismatches: [])
        #expect(try migctl.run(["check"]).status == 0, "a clock within the skew allowed is believed")
        #expect(try migctl.run(["rollback"]).status == 0)
        #expect(try migctl.run(["advance", "--confirm", "backfill"]).status == 0)
        let check = try migctl.run(["check"])
        #expect(check.status == 3 && check.stdout.contains("moved back from backfill to new-only"), "\(check.stdout)\(check.stderr)")
        #expect(try migctl.run(["advance", "--confirm", "cleanup", "--force", "--reason", "trust me"]).status != 0)
    }
}
