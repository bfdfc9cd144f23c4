import Foundation
import MigrationCore
import Testing

/// The `verified` gate: a pure function of the newest verify run, the plan's order and the
/// phase moves since the run started.
struct VerifiedGateTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let phases = Plan.default.phases.map(\.id)
    var started: Date { now.addingTimeInterval(-600) }

    func run(in phase: String = "backfill", done: Int64 = 100, total: Int64? = 100, finished: Bool = true, mismatches: Int64 = 0) -> JobProgress {
        JobProgress(cursor: "k99", done: done, total: total, startedAt: started, finishedAt: finished ? now.addingTimeInterval(-60) : nil,
                    instance: "h-1-ABCDEFGH", sincePhase: phase, phaseEnteredAt: started.addingTimeInterval(-60), mismatches: mismatches)
    }

    func result(_ verification: Verification?, since: String = "backfill") -> GateResult {
        let state = MigrationState(phase: "backfill", rollout: .full, version: 40, phaseSince: started.addingTimeInterval(-60),
                                   changedAt: started, changedBy: "ana")
        let inputs = GateInputs(now: now, state: state, target: Plan.default.phase("cleanup")!, actor: "ana",
                                verification: verification, phaseIDs: phases)
        return GateEvaluation.evaluate([Gate(.verified(since: since), overridable: false)], inputs)[0]
    }

    @Test func aFinishedCleanRunSinceThePhasePasses() {
        let pass = result(Verification(run: run()))
        #expect(pass.status == .pass && pass.observed == "100/100 keys, 0 mismatches" && !pass.overridable, "\(pass)")
        #expect(result(Verification(run: run()), since: "new-only").status == .pass, "a run in a later phase covers an earlier 'since'")
    }

    @Test func noRunOrARunUnderWayIsUnknown() {
        let never = result(nil)
        #expect(never.status == .unknown && never.sentence.contains("'migctl verify status'") && !never.sentence.contains("--verify"),
                "it offers only what exists: \(never.sentence)")
        let underWay = result(Verification(run: run(done: 40, finished: false)))
        #expect(underWay.status == .unknown && underWay.sentence.contains("40 of 100"), "\(underWay.sentence)")
    }

    @Test func mismatchesFailAndNameTheFirstKeys() {
        let failed = result(Verification(run: run(mismatches: 2), firstMismatches: ["user-0000042", "user-0000077"]))
        #expect(failed.status == .fail && failed.sentence.contains("2 keys differ") && failed.sentence.contains("'user-0000042'"), "\(failed.sentence)")
        let early = result(Verification(run: run(finished: false, mismatches: 1), firstMismatches: ["k"]))
        #expect(early.status == .fail, "a mismatch fails the gate before the run finishes")
    }

    @Test func aRunFromAnEarlierPhaseOrBeforeAMoveBackFails() {
        let early = result(Verification(run: run(in: "new-only")))
        #expect(early.status == .fail && early.sentence.contains("started in 'new-only', before 'backfill'"), "\(early.sentence)")
        #expect(result(Verification(run: run(in: "no-such-phase"))).status == .fail)
        let back = AuditEvent(at: started.addingTimeInterval(30), actor: "guard@h", host: "h", action: "rollback",
                              fromPhase: "backfill", toPhase: "new-only")
        let forth = AuditEvent(at: started.addingTimeInterval(90), actor: "ana", host: "h", action: "advance",
                               fromPhase: "new-only", toPhase: "backfill")
        let moved = result(Verification(run: run(), movesSince: [back, forth]))
        #expect(moved.status == .fail && moved.sentence.contains("moved back from backfill to new-only"), "\(moved.sentence)")
        #expect(result(Verification(run: run(), movesSince: [forth])).status == .pass, "moving forward keeps the run")
        #expect(result(Verification(run: run(), movesComplete: false)).status == .unknown, "too many events to tell")
    }

    @Test func aRunThatWalkedFewerKeysThanTheStoreHeldFails() {
        #expect(result(Verification(run: run(done: 90, total: 100))).status == .fail)
    }

    /// A verifier whose host clock runs ahead stamps its run in the future: a rollback made
    /// after the run, but before the run's (future) start, used to go unseen, and the gate
    /// passed after the migration came back. Moves are watched from when the run's phase was
    /// entered (the state's own clock), and a run from the future, or from a phase the
    /// migration has not reached, is not believed.
    @Test func aRunStampedInTheFutureOrInALaterPhaseDoesNotPass() {
        var ahead = run()
        ahead.startedAt = now.addingTimeInterval(3600)
        ahead.finishedAt = now.addingTimeInterval(3660)
        let future = result(Verification(run: ahead))
        #expect(future.status == .fail && future.sentence.contains("in the future"), "\(future.sentence)")

        var skewed = run()   // a clock 50 s ahead: believed, but moves are watched from the phase's entry
        skewed.startedAt = now.addingTimeInterval(-10)   // really started at now - 60
        skewed.finishedAt = now.addingTimeInterval(40)
        let back = AuditEvent(at: now.addingTimeInterval(-40), actor: "guard@h", host: "h", action: "rollback", fromPhase: "backfill", toPhase: "new-only")
        let forth = AuditEvent(at: now.addingTimeInterval(-30), actor: "ana", host: "h", action: "advance", fromPhase: "new-only", toPhase: "backfill")
        let verification = Verification(run: skewed, movesSince: [back, forth])
        #expect(verification.watchedSince == skewed.phaseEnteredAt)
        let moved = result(verification)
        #expect(moved.status == .fail && moved.sentence.contains("moved back from backfill to new-only"), "\(moved.sentence)")

        let later = result(Verification(run: run(in: "complete")))
        #expect(later.status == .fail && later.sentence.contains("'complete'") && later.sentence.contains("'backfill'"), "\(later.sentence)")
    }

    @Test func thePlanFileTakesAVerifiedGateOnlyAfterItsPhase() throws {
        func plan(_ since: String) -> String {
            """
            phases:
              - {id: old-only, reads: old, writes: [old]}
              - {id: backfill, reads: new-fallback-old, writes: [new]}
              - id: cleanup
                reads: new
                writes: [new]
                gates:
                  - {kind: verified, since: \(since), overridable: false}
            """
        }
        let parsed = try PlanFile.parse(plan("backfill"), file: "plan.yaml")
        #expect(parsed.phase("cleanup")?.gates == [Gate(.verified(since: "backfill"), overridable: false)])
        for (since, complaint) in [("cleanup", "is not before 'cleanup'"), ("nowhere", "'nowhere' is not a phase of this plan")] {
            #expect {
                try PlanFile.parse(plan(since), file: "plan.yaml")
            } throws: { error in
                (error as? PlanError)?.description.contains(complaint) == true && (error as? PlanError)?.description.contains("plan.yaml:8:") == true
            }
        }
    }
}
