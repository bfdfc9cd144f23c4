import MigrationClient
import MigrationCore
import Testing

/// The Migrator counts which store served each request, so phases that only read the old
/// store still show their load (the console charts these in `old-only` and `dual-write`).
struct MigratorServedCountsTests {
    let fixture: ControlFixture
    let client: MigrationClient
    let stores = InMemoryStores()
    var migrator: Migrator<String> { Migrator(client: client, old: stores.old, new: stores.new) }

    init() throws {
        fixture = try ControlFixture()
        client = try MigrationClient(store: fixture.store, refreshInterval: .milliseconds(20), flushInterval: .milliseconds(50))
    }

    func totals() throws -> [String: Int64] {
        client.flush()
        return try fixture.store.counterTotals()
    }

    @Test func oldOnlyCountsReadsAndWritesServedByTheOldStore() throws {
        try migrator.write("k", "v1")
        try migrator.write("k", "v2")
        _ = try migrator.read("k")
        try migrator.delete("k")
        let counts = try totals()
        #expect(counts[CounterName.readOld] == 1)
        #expect(counts[CounterName.writeOld] == 3, "two writes and a delete")
        #expect(counts[CounterName.writeNew] == nil)
    }

    @Test func dualWriteCountsTheOldStoreAsPrimaryAndTheNewStoresErrors() throws {
        try fixture.move(to: "dual-write")
        client.refresh()
        try migrator.write("k", "v1")
        stores.failNewWrites.store(true, ordering: .relaxed)
        try migrator.write("k", "v2")
        _ = try migrator.read("k")
        let counts = try totals()
        #expect(counts[CounterName.readOld] == 1 && counts[CounterName.writeOld] == 2 && counts[CounterName.writeNewError] == 1)
    }

    @Test func newPrimaryCountsWritesServedByTheNewStoreAndNoOldReads() throws {
        try fixture.move(to: "new-primary")
        client.refresh()
        try migrator.write("k", "v1")
        _ = try migrator.read("k")
        let counts = try totals()
        #expect(counts[CounterName.writeNew] == 1 && counts[CounterName.writeOld] == nil)
        #expect(counts[CounterName.readOld] == nil && counts[CounterName.hit] == 1)
    }
}
