import Foundation
import MigrationCore
import TestSupport
import Testing

/// State changes through `MigrationControl`, on both stores.
struct MigrationControlTests {
    /// A new store with the ungated plan, and the control `name` uses on it (on PostgreSQL the
    /// name is the login the fixture connects as).
    func control(_ under: StoreUnderTest, _ name: String = "ana") throws -> MigrationControl {
        let store = try under.create(name: "m", plan: .ungated, runbooks: [:], by: under.signer(name))
        return MigrationControl(store: store, signer: under.signer(name))
    }

    @Test(arguments: StoreKind.allCases)
    func aChangeIsRecordedWithItsReasonAndActor(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let control = try control(under)
        let change = try control.perform(.advance(), reason: "dual writes deployed")
        #expect(change.changed && change.after.phase == "dual-write" && change.after.version == 2)
        let event = try control.store.auditLog(limit: 1)[0]
        #expect(event.action == "advance" && event.fromPhase == "old-only" && event.toPhase == "dual-write")
        #expect(event.reason == "dual writes deployed" && event.actor == under.signer("ana").name && event.version == 2)
        let state = try control.store.state()
        #expect(state.phase == "dual-write" && state.changedBy == under.signer("ana").name)
        #expect(state.phaseSince == state.changedAt && state.phaseSince >= event.at.addingTimeInterval(-1))
    }

    @Test(arguments: StoreKind.allCases)
    func aStaleExpectedVersionIsAConflictAndChangesNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let control = try control(under)
        try control.perform(.advance())
        #expect(throws: ControlError.store(.conflict(expected: 1, found: 2))) {
            try control.perform(.setRollout(.full), expectVersion: 1)
        }
        #expect(try control.store.state().rollout == .none)
    }

    @Test(arguments: StoreKind.allCases)
    func aRefusalChangesNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let control = try control(under)
        #expect(throws: ControlError.refused(.atFirstPhase("old-only"))) { try control.perform(.rollback()) }
        #expect(try control.store.state().version == 1)
        #expect(try control.store.auditLog(limit: 10).count == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func askingForTheCurrentRolloutWritesNothing(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let control = try control(under)
        try control.perform(.advance())
        let change = try control.perform(.setRollout(.none))
        #expect(!change.changed)
        #expect(try control.store.state().version == 2)
    }

    @Test(arguments: StoreKind.allCases)
    func aPhaseSinceMovesOnlyWithThePhase(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let control = try control(under)
        try control.perform(.advance())
        let entered = try control.store.state().phaseSince
        try control.perform(.setRollout(Rollout(basisPoints: 5000)))
        let state = try control.store.state()
        #expect(try state.rollout == Rollout(basisPoints: 5000) && state.version == 3)
        #expect(state.phaseSince == entered && state.changedAt >= entered)
    }

    @Test(arguments: StoreKind.allCases)
    func racingOperatorsFromTheSameVersionCannotBothWin(_ kind: StoreKind) async throws {
        let under = try StoreUnderTest(kind)
        let first = try control(under)
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    guard let store = try? under.open() else { return false }
                    let control = MigrationControl(store: store, signer: under.signer("op\(i)"))
                    return (try? control.perform(.advance(), expectVersion: 1)) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1)
        #expect(try first.store.state().version == 2)
        #expect(try first.store.auditLog(limit: 100).filter { $0.action == "advance" }.count == 1)
    }
}
