import DemoService
import Foundation
import MigrationClient
import MigrationCore
import Testing

/// A crashed service may leave the counts of its last copies unwritten; the invariants accept
/// exactly that, and nothing more.
struct CrashReconciliationTests {
    let fixture: DemoFixture
    let stores: DemoStores

    init() throws {
        fixture = try DemoFixture()
        stores = try DemoStores(folder: fixture.folder)
    }

    /// Copies `count` users into the new store the way a read miss does.
    func copyOnMiss(_ count: Int, from first: Int = 0) throws {
        for i in first..<(first + count) {
            #expect(try stores.new.putIfAbsent(DemoStores.key(i), User(name: "u", email: "u@x", version: 1), .miss))
        }
    }

    func count(miss: Int64) throws {
        try fixture.store.flush(counts: [CounterName.miss: miss], second: Int64(Date().timeIntervalSince1970), heartbeat: nil)
    }

    /// A service `id` that served the stores, flushed last at `lastFlush` and is gone (its pid is free).
    func crashedService(_ id: String, lastFlush: Date) throws {
        try stores.beginSession(id)
        let instance = FleetInstance(id: id, host: ProcessInfo.processInfo.hostName, pid: Int64(Int32.max), servingVersion: 1,
                                     heartbeatAt: lastFlush, startedAt: lastFlush.addingTimeInterval(-60))
        try fixture.store.flush(counts: [:], second: Int64(lastFlush.timeIntervalSince1970), heartbeat: instance)
    }

    func mismatches() throws -> [String] {
        try Invariants.copyCounterMismatches(totals: fixture.store.counterTotals(), stores: stores)
    }

    @Test func uncountedCopiesWithoutACrashAreALoss() throws {
        try copyOnMiss(5)
        try count(miss: 3)
        #expect(try stores.reconcileCrashes(fleet: fixture.store).isEmpty)
        #expect(try mismatches() == ["miss counted 3 but 5 rows were copied that way"])
    }

    @Test func copiesAfterACrashedServicesLastFlushMayBeUncounted() throws {
        try count(miss: 3)
        try crashedService("dead", lastFlush: Date().addingTimeInterval(-5))
        try copyOnMiss(5)
        let crashes = try stores.reconcileCrashes(fleet: fixture.store)
        #expect(crashes.map(\.session) == ["dead"] && crashes.first?.exposed == [CounterName.miss: 5])
        #expect(try mismatches().isEmpty)
        #expect(try fixture.store.instances().isEmpty, "the dead service's fleet row is removed")
        #expect(try stores.reconcileCrashes(fleet: fixture.store).isEmpty, "a crash is reconciled once")
        #expect(try mismatches().isEmpty, "and stays reconciled")
    }

    @Test func copiesBeforeACrashedServicesLastFlushWereCounted() throws {
        try copyOnMiss(5)
        try crashedService("dead", lastFlush: Date().addingTimeInterval(5))
        _ = try stores.reconcileCrashes(fleet: fixture.store)
        #expect(try mismatches() == ["miss counted 0 but 5 rows were copied that way"], "its last flush came after them")
    }

    @Test func aLossBeyondWhatTheCrashCouldLoseIsStillALoss() throws {
        try stores.newQueue.write { db in
            for i in 100..<103 {
                try db.execute(sql: "INSERT INTO users (id, full_name, email, email_domain, version, origin, copied_at) VALUES (?, 'u', 'u@x', 'x', 1, 'miss', ?)",
                               arguments: [DemoStores.key(i), Date().timeIntervalSince1970 - 3600])
            }
        }
        try crashedService("dead", lastFlush: Date().addingTimeInterval(-5))
        try copyOnMiss(2)
        _ = try stores.reconcileCrashes(fleet: fixture.store)
        #expect(try mismatches() == ["miss counted 0 but 5 rows were copied that way (crashes can explain at most 2)"])
    }

    @Test func countingMoreThanWasCopiedIsNeverExcused() throws {
        try crashedService("dead", lastFlush: Date().addingTimeInterval(-5))
        try copyOnMiss(2)
        try count(miss: 4)
        _ = try stores.reconcileCrashes(fleet: fixture.store)
        #expect(try mismatches() == ["miss counted 4 but 2 rows were copied that way (crashes can explain at most 2)"])
    }

    @Test func aServiceStillRunningIsNotACrash() throws {
        try stores.beginSession("alive")
        let me = FleetInstance(id: "alive", host: ProcessInfo.processInfo.hostName, pid: Int64(getpid()), servingVersion: 1,
                               heartbeatAt: Date(), startedAt: Date())
        try fixture.store.flush(counts: [:], second: Int64(Date().timeIntervalSince1970), heartbeat: me)
        #expect(try stores.reconcileCrashes(fleet: fixture.store).isEmpty)
        #expect(try fixture.store.instances().count == 1)
    }

    @Test func copiesRemovedSinceStillCountAsWhatTheCrashCouldLose() throws {
        try crashedService("dead", lastFlush: Date().addingTimeInterval(-5))
        try copyOnMiss(3)
        try stores.new.delete(DemoStores.key(0))
        let crashes = try stores.reconcileCrashes(fleet: fixture.store)
        #expect(crashes.first?.exposed == [CounterName.miss: 3])
        #expect(try mismatches().isEmpty)
    }
}
