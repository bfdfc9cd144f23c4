import Foundation
import MigrationCore
import TestSupport
import Testing

struct MigrationControlTests {
    let folder = TemporaryDirectory()

    func control(_ name: String = "ana") throws -> MigrationControl {
        let path = folder.path("control.db")
        let store: SQLiteControlStore = FileManager.default.fileExists(atPath: path)
            ? try SQLiteControlStore(path: path)
            : try SQLiteControlStore.create(at: path, name: "m", plan: .ungated, runbooks: [:], checklists: [:],
                                            by: Operator(name: name, host: "h"), at: Date())
        return MigrationControl(store: store, signer: Operator(name: name, host: "h"))
    }

    @Test func aChangeIsRecordedWithItsReasonAndActor() throws {
        let control = try control()
        let change = try control.perform(.advance(), reason: "dual writes deployed")
        #expect(change.changed && change.after.phase == "dual-write" && change.after.version == 2)
        let event = try control.store.auditLog(limit: 1)[0]
        #expect(event.action == "advance" && event.fromPhase == "old-only" && event.toPhase == "dual-write")
        #expect(event.reason == "dual writes deployed" && event.actor == "ana" && event.version == 2)
    }

    @Test func aStaleExpectedVersionIsAConflictAndChangesNothing() throws {
        let control = try control()
        try control.perform(.advance())
        #expect(throws: ControlError.store(.conflict(expected: 1, found: 2))) {
            try control.perform(.setRollout(.full), expectVersion: 1)
        }
        #expect(try control.store.state().rollout == .none)
    }

    @Test func aRefusalChangesNothing() throws {
        let control = try control()
        #expect(throws: ControlError.refused(.atFirstPhase("old-only"))) { try control.perform(.rollback()) }
        #expect(try control.store.state().version == 1)
        #expect(try control.store.auditLog(limit: 10).count == 1)
    }

    @Test func askingForTheCurrentRolloutWritesNothing() throws {
        let control = try control()
        try control.perform(.advance())
        let change = try control.perform(.setRollout(.none))
        #expect(!change.changed)
        #expect(try control.store.state().version == 2)
    }

    @Test func racingOperatorsFromTheSameVersionCannotBothWin() async throws {
        let first = try control("ana")
        let path = folder.path("control.db")
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<8 {
                group.addTask {
                    let store = try! SQLiteControlStore(path: path)
                    let control = MigrationControl(store: store, signer: Operator(name: "op\(i)", host: "h"))
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
