import Foundation
import MigrationCore
import Testing

struct PhaseMachineTests {
    let plan = Plan.default
    let date = Date(timeIntervalSince1970: 1_800_000_000)

    func state(_ phase: String, _ percent: String = "100", version: Int64 = 10) throws -> MigrationState {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        return MigrationState(phase: phase, rollout: try Rollout(percent: percent), version: version,
                              phaseSince: start, changedAt: start, changedBy: "someone")
    }

    func apply(_ request: PhaseRequest, _ state: MigrationState) throws(TransitionRefusal) -> MigrationState {
        try PhaseMachine.apply(request, to: state, in: plan, at: date, by: "ana")
    }

    @Test func advanceMovesExactlyOnePhaseAndStampsTheChange() throws {
        let next = try apply(.advance(), state("old-only"))
        #expect(next.phase == "dual-write")
        #expect(next.rollout == .none, "a ramped phase starts at 0% unless asked")
        #expect(next.version == 11)
        #expect(next.phaseSince == date && next.changedAt == date && next.changedBy == "ana")
    }

    @Test func advanceStartsAtTheRequestedRollout() throws {
        let next = try apply(.advance(rollout: try Rollout(percent: "5")), state("dual-write"))
        #expect(next.phase == "read-new" && next.rollout.basisPoints == 500)
    }

    @Test func advanceNeedsTheCurrentPhaseAtFullRollout() throws {
        #expect(throws: TransitionRefusal.rolloutNotFull(phase: "read-new", rollout: try Rollout(percent: "99.99"))) {
            try apply(.advance(), state("read-new", "99.99"))
        }
    }

    @Test func advanceIntoAPhaseThatIsNotRampedTakesEveryKey() throws {
        #expect(try apply(.advance(), state("new-only")).rollout == .full)
        #expect(throws: TransitionRefusal.notRamped("backfill")) {
            try apply(.advance(rollout: try Rollout(percent: "50")), state("new-only"))
        }
    }

    @Test func advanceChecksTheAssertedTarget() throws {
        #expect(throws: TransitionRefusal.notTheNextPhase(asked: "new-only", next: "new-primary")) {
            try apply(.advance(to: "new-only"), state("read-new"))
        }
        #expect(try apply(.advance(to: "new-primary"), state("read-new")).phase == "new-primary")
    }

    @Test func theLastPhaseIsFinal() throws {
        #expect(throws: TransitionRefusal.atFinalPhase("complete")) { try apply(.advance(), state("complete")) }
        #expect(throws: TransitionRefusal.atFinalPhase("complete")) { try apply(.rollback(), state("complete")) }
    }

    @Test func rollbackReturnsToTheWholePreviousPhase() throws {
        let back = try apply(.rollback(), state("read-new", "30"))
        #expect(back.phase == "dual-write" && back.rollout == .full && back.phaseSince == date)
        #expect(throws: TransitionRefusal.atFirstPhase("old-only")) { try apply(.rollback(), state("old-only")) }
        #expect(throws: TransitionRefusal.notThePreviousPhase(asked: "old-only", previous: "dual-write")) {
            try apply(.rollback(to: "old-only"), state("read-new"))
        }
    }

    @Test(arguments: [("new-primary", true), ("new-only", false)])
    func rollbackOutOfAnIrreversiblePhaseIsRefused(phase: String, writesOld: Bool) throws {
        let rollout = try Rollout(percent: "0.01")
        #expect(throws: TransitionRefusal.pastPointOfNoReturn(current: phase, rollout: rollout, writesOld: writesOld)) {
            try apply(.rollback(), state(phase, "0.01"))
        }
    }

    @Test func theRefusalOfARollbackPastThePointOfNoReturnSaysWhatTheOldStoreGot() {
        let best = TransitionRefusal.pastPointOfNoReturn(current: "new-primary", rollout: .full, writesOld: true).description
        #expect(best.contains("100% of keys write the new store first") && best.contains("best effort") && !best.contains("missed"))
        let none = TransitionRefusal.pastPointOfNoReturn(current: "new-only", rollout: .full, writesOld: false).description
        #expect(none.contains("no longer write the old store at all"))
    }

    @Test(arguments: ["new-primary", "new-only"])
    func anIrreversiblePhaseAtZeroPercentRollsBackForNoKeyHasCrossedYet(phase: String) throws {
        let back = try apply(.rollback(), state(phase, "0"))
        #expect(back.phase == plan.phases[plan.index(of: phase)! - 1].id && back.rollout == .full)
    }

    @Test func loweringDualWriteIsRefusedForTheNewStoreKeepsCopiesThatWouldGoStale() throws {
        let current = try state("dual-write", "100")
        let quarter = try Rollout(percent: "25")
        #expect(throws: TransitionRefusal.strandsCopies(phase: "dual-write", store: .new, from: .full, to: quarter, rollback: false)) {
            try apply(.setRollout(quarter), current)
        }
        #expect(throws: TransitionRefusal.strandsCopies(phase: "dual-write", store: .new, from: .full, to: .none, rollback: true)) {
            try apply(.rollback(), current)
        }
        let forced = try PhaseMachine.apply(.setRollout(quarter), to: current, in: plan, at: date, by: "ana", overriding: true)
        #expect(forced.rollout == quarter && forced.version == 11)
        #expect(PhaseMachine.strandedStore(from: current, to: forced, in: plan) == .new)
        #expect(TransitionRefusal.strandsCopies(phase: "dual-write", store: .new, from: .full, to: quarter, rollback: false).isOverridable)
    }

    @Test func movesThatStrandNoCopyAreAllowed() throws {
        // Up in dual-write; down or back in read-new (dual-write writes both stores too); back from 0%.
        #expect(try apply(.setRollout(.full), state("dual-write", "25")).rollout == .full)
        #expect(try apply(.setRollout(.none), state("read-new", "50")).rollout == .none)
        #expect(try apply(.rollback(), state("read-new", "50")).phase == "dual-write")
        #expect(try apply(.rollback(), state("dual-write", "0")).phase == "old-only")
        #expect(!TransitionRefusal.rolloutDownInIrreversible(phase: "x", from: .full, to: .none).isOverridable)
    }

    @Test func rollbackThatStaysPastThePointOfNoReturnIsAllowed() throws {
        #expect(try apply(.rollback(), state("backfill")).phase == "new-only")
    }

    @Test func rolloutMayOnlyGoUpInAnIrreversiblePhase() throws {
        let current = try state("new-primary", "20")
        #expect(try apply(.setRollout(try Rollout(percent: "30")), current).rollout.basisPoints == 3000)
        #expect(throws: TransitionRefusal.rolloutDownInIrreversible(phase: "new-primary", from: try Rollout(percent: "20"), to: try Rollout(percent: "10"))) {
            try apply(.setRollout(try Rollout(percent: "10")), current)
        }
    }

    @Test func rolloutMayGoDownInAReversiblePhase() throws {
        #expect(try apply(.setRollout(.none), state("read-new", "50")).rollout == .none)
    }

    @Test func phasesThatAreNotRampedHaveNoRollout() throws {
        #expect(throws: TransitionRefusal.notRamped("backfill")) { try apply(.setRollout(.none), state("backfill")) }
    }

    @Test func askingForTheCurrentRolloutChangesNothing() throws {
        let current = try state("read-new", "40")
        #expect(try apply(.setRollout(try Rollout(percent: "40")), current) == current)
    }

    @Test func aStateOutsideThePlanIsRefused() throws {
        #expect(throws: TransitionRefusal.unknownPhase("gone")) { try apply(.advance(), state("gone")) }
    }

    @Test func keysOutsideTheRolloutGetThePreviousPhase() throws {
        let current = try state("read-new", "25")
        #expect(current.effectivePhase(forBucket: 2499, in: plan)?.id == "read-new")
        #expect(current.effectivePhase(forBucket: 2500, in: plan)?.id == "dual-write")
        #expect(try state("old-only").effectivePhase(forBucket: 9999, in: plan)?.id == "old-only")
    }

    @Test func walkingTheWholeDefaultPlanEndsComplete() throws {
        var current = try state("old-only")
        while current.phase != "complete" {
            current = try apply(.advance(), current)
            if current.rollout != .full { current = try apply(.setRollout(.full), current) }
        }
        #expect(current.version > 10)
    }
}
