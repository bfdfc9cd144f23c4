import Foundation
import MigrationClient
import MigrationCore
import Synchronization
import Testing

/// A control database on disk with the ungated default plan, moved to any phase at 100%.
final class ControlFixture {
    let folder = FileManager.default.temporaryDirectory.appending(path: "client-\(UUID().uuidString)")
    let store: SQLiteControlStore
    let control: MigrationControl

    /// - Parameter adjust: changes a phase of the ungated default plan (a throttle, say).
    init(adjust: (inout Phase) -> Void = { _ in }) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let plan = Plan(phases: Plan.default.phases.map { var phase = $0; phase.gates = []; adjust(&phase); return phase })
        store = try SQLiteControlStore.create(at: folder.appending(path: "c.db").path, name: "users-v2", plan: plan, runbooks: [:], checklists: [:],
                                              by: Operator(name: "t", host: "h"), at: Date())
        control = MigrationControl(store: store, signer: Operator(name: "t", host: "h"))
    }

    /// Advances to `phase` and ramps it to `percent`.
    func move(to phase: String, percent: String = "100") throws {
        while try store.state().phase != phase {
            if try store.state().rollout != .full { try control.perform(.setRollout(.full)) }
            let next = try store.plan().next(after: try store.state().phase)!
            try control.perform(.advance(), authority: AdvanceAuthority(confirmation: next.id))
        }
        if try store.plan().phase(phase)?.ramp == true { try control.perform(.setRollout(try Rollout(percent: percent))) }
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

struct MigratorTests {
    let fixture: ControlFixture
    let client: MigrationClient
    let stores = InMemoryStores()
    let failures = FailedWrites()
    var migrator: Migrator<String> {
        Migrator(client: client, old: stores.old, new: stores.new) { [failures] write in failures.keys.withLock { $0.append("\(write.store)/\(write.key)") } }
    }

    final class FailedWrites: Sendable {
        let keys = Mutex<[String]>([])
    }

    init() throws {
        fixture = try ControlFixture()
        client = try MigrationClient(store: fixture.store, refreshInterval: .milliseconds(20), flushInterval: .milliseconds(50))
    }

    func at(_ phase: String, percent: String = "100") throws {
        try fixture.move(to: phase, percent: percent)
        client.refresh()
        #expect(client.current.state.phase == phase)
    }

    func totals() throws -> [String: Int64] {
        client.flush()
        return try fixture.store.counterTotals()
    }

    @Test func oldOnlyTouchesOnlyTheOldStore() throws {
        try migrator.write("k", "v1")
        #expect(try migrator.read("k") == "v1")
        #expect(stores.newValue("k") == nil)
    }

    @Test func dualWriteWritesOldFirstAndCountsSecondaryFailures() throws {
        try at("dual-write")
        try migrator.write("k", "v1")
        #expect(stores.oldRecords.withLock { $0["k"] } == "v1" && stores.newValue("k") == .value("v1"))
        stores.failNewWrites.store(true, ordering: .relaxed)
        try migrator.write("k", "v2")
        #expect(stores.oldRecords.withLock { $0["k"] } == "v2", "the primary write succeeded")
        #expect(failures.keys.withLock { $0 } == ["new/k"])
        #expect(try totals()["write.new.error"] == 1)
        stores.failOldWrites.store(true, ordering: .relaxed)
        #expect(throws: InMemoryStores.Refused.self) { try migrator.write("k", "v3") }
    }

    @Test func readNewCopiesOnMissAndVerifiesWhileOldIsAuthoritative() throws {
        stores.oldRecords.withLock { $0 = ["a": "1", "b": "2"] }
        try at("read-new")
        #expect(try migrator.read("a") == "1")
        #expect(stores.newValue("a") == .value("1"))
        #expect(try migrator.read("a") == "1")
        stores.newRecords.withLock { $0["b"] = (.value("stale"), .write) }
        #expect(try migrator.read("b") == "2", "the old store is authoritative")
        #expect(try migrator.read("zzz") == nil)
        let counts = try totals()
        #expect(counts["miss"] == 1 && counts["hit"] == 2 && counts["verify.match"] == 1 && counts["verify.mismatch"] == 1)
    }

    @Test func keysOutsideTheRolloutKeepThePreviousPhase() throws {
        try at("read-new", percent: "50")
        let inside = (0..<100).map { "key-\($0)" }.first { client.phase(for: $0).id == "read-new" }!
        let outside = (0..<100).map { "key-\($0)" }.first { client.phase(for: $0).id == "dual-write" }!
        #expect(Bucketing.bucket(salt: "users-v2", key: inside) < 5000 && Bucketing.bucket(salt: "users-v2", key: outside) >= 5000)
    }

    @Test func newPrimaryDeletesLeaveTombstonesSoFallbackCannotResurrect() throws {
        stores.oldRecords.withLock { $0 = ["gone": "old value"] }
        try at("new-primary")
        stores.failOldWrites.store(true, ordering: .relaxed)
        try migrator.delete("gone")
        #expect(stores.newValue("gone") == .tombstone)
        #expect(stores.oldRecords.withLock { $0["gone"] } == "old value", "the best-effort old delete failed")
        #expect(try migrator.read("gone") == nil, "the tombstone wins over the old copy")
    }

    @Test func backfillCopiesWhatIsLeftWithoutOverwritingOrResurrecting() throws {
        stores.oldRecords.withLock { records in for i in 0..<25 { records[String(format: "k%02d", i)] = "old\(i)" } }
        try at("backfill")
        try migrator.write("k03", "newer")
        let backfill = Backfill(migrator: migrator, batchSize: 10)
        var batches = 0
        while try backfill.step() { batches += 1 }
        #expect(batches == 2 && backfill.isFinished)
        #expect(stores.newValue("k03") == .value("newer"), "a newer write is never overwritten")
        #expect(stores.newValue("k24") == .value("old24"))
        let counts = try totals()
        #expect(counts["backfill"] == 24)
        #expect(try fixture.store.gauges().first { $0.name == "backfill.remaining" }?.value == 0)
    }

    @Test func theDeleteDuringABackfillBatchRaceDoesNotBringTheRecordBack() throws {
        stores.oldRecords.withLock { $0 = ["victim": "old"] }
        try at("backfill")
        let migrator = self.migrator
        stores.betweenScanAndCopy.withLock { $0 = { try? migrator.delete("victim") } }
        try Backfill(migrator: migrator, batchSize: 10).step()
        #expect(stores.newValue("victim") == .tombstone)
        #expect(try migrator.read("victim") == nil)
    }

    @Test func backfillPausesResumesAndRestartsFromItsCursor() throws {
        stores.oldRecords.withLock { records in for i in 0..<30 { records[String(format: "k%02d", i)] = "v" } }
        try at("backfill")
        let first = Backfill(migrator: migrator, batchSize: 10)
        try first.step()
        first.pause()
        #expect(try !first.step() && first.cursor == "k09")
        let restarted = Backfill(migrator: migrator, batchSize: 10, cursor: first.cursor, done: 10)
        while try restarted.step() {}
        #expect(try totals()["backfill"] == 30)
    }

    /// Operators steer the backfill through the store's job_control row (`migctl backfill …`).
    @Test func operatorsPauseResizeAndRateLimitTheBackfillFromTheStore() throws {
        stores.oldRecords.withLock { records in for i in 0..<40 { records[String(format: "k%02d", i)] = "v" } }
        try at("backfill")
        let backfill = Backfill(migrator: migrator, batchSize: 10)
        let ops = Operator(name: "ops", host: "h")
        func change(_ change: JobControlChange) throws {
            try fixture.store.changeJobControl(.backfill, change, event: AuditEvent(at: Date(), actor: ops.name, host: ops.host,
                                                                                  action: AuditAction.backfill.rawValue))
        }
        try change(.pause)
        #expect(try !backfill.step() && backfill.cursor == nil && backfill.control.paused, "paused by an operator: nothing copied")
        try change(.resume)
        try change(.batch(5))
        #expect(try backfill.step() && backfill.cursor == "k04", "the operator's batch size, not the application's 10")
        try change(.rate(50))   // 5 rows a batch at 50 rows a second: a batch every 0.1 s
        let started = ContinuousClock.now
        for _ in 0..<4 { try backfill.step() }
        #expect(ContinuousClock.now - started >= .milliseconds(280), "three waits of 0.1 s between four batches")
        #expect(backfill.cursor == "k24")
        try change(.rate(0))
        while try backfill.step() {}
        #expect(try totals()["backfill"] == 40)
        #expect(try fixture.store.auditLog(limit: 10).filter { $0.action == "backfill" }.count == 5)
    }

    /// A process killed after a batch and started again: a backfill made without a cursor
    /// resumes from the one stored in job_progress, and nothing is copied or counted twice.
    @Test func aBackfillMadeWithoutACursorResumesFromTheStore() throws {
        stores.oldRecords.withLock { records in for i in 0..<25 { records[String(format: "k%02d", i)] = "v" } }
        try at("backfill")
        let first = Backfill(migrator: migrator, batchSize: 10)
        try first.step()
        let stored = try #require(try fixture.store.jobProgress(.backfill))
        #expect(stored.cursor == "k09" && stored.done == 10 && stored.total == 25 && stored.finishedAt == nil)
        #expect(stored.instance == client.instanceID)
        let restarted = Backfill(migrator: migrator, batchSize: 10)   // the process started again
        #expect(try restarted.step() && restarted.cursor == "k19", "resumed after k09, not from the start")
        while try restarted.step() {}
        #expect(try totals()["backfill"] == 25)
        #expect(try fixture.store.jobProgress(.backfill)?.finishedAt != nil)
    }

    @Test func cleanupPurgesTombstones() throws {
        try at("new-only")
        try migrator.write("a", "1")
        try migrator.delete("a")
        #expect(try stores.new.purgeTombstones() == 1)
    }
}

struct RouteTests {
    @Test func everyPhaseOfTheDefaultPlanRoutesAsItsPhaseSays() {
        for (index, phase) in Plan.default.phases.enumerated() {
            let route = Route(phaseIndex: index, phase: phase, version: 42)
            #expect(route.reads == phase.reads && route.writes == phase.writes && route.phaseIndex == index)
        }
        let newPrimary = Route(phaseIndex: 3, phase: Plan.default.phases[3], version: 1)
        #expect(newPrimary.deletesLeaveTombstones && !newPrimary.verifiesReads)
        let readNew = Route(phaseIndex: 2, phase: Plan.default.phases[2], version: 1)
        // Reads fall back to the old store, so a delete leaves a tombstone: a copy on a miss racing
        // the delete can never bring the key back (schema 5).
        #expect(readNew.deletesLeaveTombstones && readNew.verifiesReads)
        let dualWrite = Route(phaseIndex: 1, phase: Plan.default.phases[1], version: 1)
        #expect(!dualWrite.deletesLeaveTombstones, "reads go to the old store alone")
    }

    @Test func routesFollowTheRolloutFromManyThreads() throws {
        let fixture = try ControlFixture()
        try fixture.move(to: "read-new", percent: "50")
        let client = try MigrationClient(store: fixture.store)
        defer { client.shutdown() }
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<2000 {
                let key = "k\(thread)-\(i)"
                let expected = Bucketing.bucket(salt: "users-v2", key: key) < 5000 ? 2 : 1
                precondition(client.route(for: key).phaseIndex == expected)
            }
        }
        #expect(client.phase(for: "k0-0").id == (Bucketing.bucket(salt: "users-v2", key: "k0-0") < 5000 ? "read-new" : "dual-write"))
    }
}

struct MigrationClientTests {
    @Test func aFreshProcessWithoutAReadableStateFailsFast() {
        #expect(throws: ControlStoreError.self) { try MigrationClient(databasePath: "/nonexistent/migctl.db") }
    }
    // The client against both stores: ClientStoreTests.
}
