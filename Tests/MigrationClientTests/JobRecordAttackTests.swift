import Foundation
import MigrationClient
import MigrationCore
import Testing

/// The jobs of the client library against records the store's rules accept but no honest job
/// writes: the application keeps running.
struct JobRecordAttackTests {
    let fixture: ControlFixture
    let client: MigrationClient
    let stores = InMemoryStores()

    init() throws {
        fixture = try ControlFixture()
        client = try MigrationClient(store: fixture.store, refreshInterval: .milliseconds(20), flushInterval: .milliseconds(50))
    }

    /// A backfill resumed from a stored `done` of Int64.max (the store allows any count from 0)
    /// trapped adding its next batch: the application crashed.
    @Test func aStoredCountAtTheLimitDoesNotCrashTheBackfill() throws {
        stores.oldRecords.withLock { records in for i in 0..<5 { records["k\(i)"] = "v" } }
        try fixture.move(to: "backfill")
        client.refresh()
        try fixture.store.saveJobProgress(.backfill, JobProgress(cursor: "k0", done: Int64.max, total: 5, startedAt: Date(),
                                                                instance: "svc-1-ABCDEFGH"), mismatches: [])
        let backfill = Backfill(migrator: Migrator(client: client, old: stores.old, new: stores.new), batchSize: 2)
        while try backfill.step() {}
        let stored = try #require(try fixture.store.jobProgress(.backfill))
        #expect(stored.finishedAt != nil && stored.done == Int64.max && backfill.cursor == "k4")
    }
}
