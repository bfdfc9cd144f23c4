import Foundation
import InMemoryLogging
import Logging
import MigrationClient
import MigrationCore
import Testing

/// One bad count or a busy database never stops a process's counting or its heartbeat.
struct FlushFaultTests {
    let fixture: ControlFixture
    let store: FaultyStore
    let logs = InMemoryLogHandler()
    let client: MigrationClient

    init() throws {
        fixture = try ControlFixture()
        store = FaultyStore(fixture.store)
        client = try MigrationClient(store: store, refreshInterval: .seconds(60), flushInterval: .seconds(60),
                                     logger: Logger(label: "test") { [logs] _ in logs })
    }

    func totals() throws -> [String: Int64] { try fixture.store.counterTotals() }
    func logged(_ text: String) -> Bool { logs.entries.contains { $0.message.description.contains(text) } }

    @Test func aNegativeAddIsIgnoredCountedAndSaidAndTheRestFlows() throws {
        defer { client.shutdown() }
        let hits = client.counter("hit")
        hits.add(5)
        hits.add(-3)
        client.count("miss", by: -1)
        client.count("miss")
        client.flush()
        let totals = try totals()
        #expect(totals["hit"] == 5 && totals["miss"] == 1)
        #expect(totals["client.count.refused"] == 2)
        #expect(try fixture.store.instances().count == 1, "the heartbeat goes on")
        #expect(logged("counter 'hit' was given a negative amount 1 time") && logged("counter 'miss' was given a negative amount"))
    }

    @Test func takeSaturatesInsteadOfWrapping() throws {
        defer { client.shutdown() }
        let hits = client.counter("hit")
        for _ in 0..<3 { hits.add(.max) }           // one thread: the same slot every time
        onThreads(4) { _ in hits.add(.max / 2) }     // other slots
        client.flush()
        #expect(try totals()["hit"] == .max)
    }

    @Test func aCountTheStoreRefusesIsDroppedWithoutHoldingBackTheOthers() throws {
        defer { client.shutdown() }
        store.beforeFlush.withLock { $0 = { counts throws(ControlStoreError) in
            if counts["poison"] != nil { throw .invalidValue("poison is not welcome") }
        } }
        client.count("poison")
        client.count("hit", by: 2)
        client.flush()
        client.count("hit")
        client.flush()
        let totals = try totals()
        #expect(totals["hit"] == 3 && totals["poison"] == nil)
        #expect(totals["client.flush.dropped"] == 1)
        #expect(try fixture.store.instances().count == 1)
        #expect(logged("refused 1 for counter 'poison', so it is dropped"))
    }

    @Test func aBusyDatabaseKeepsTheCountsForTheNextFlushAndCountsTheError() throws {
        defer { client.shutdown() }
        store.beforeFlush.withLock { $0 = { _ throws(ControlStoreError) in
            throw .io(path: "c.db", message: "the database stayed locked by another process for too long; try again")
        } }
        client.count("hit", by: 7)
        client.flush()
        #expect(try totals()["hit"] == nil)
        #expect(logged("could not write counts and heartbeat, keeping them"))
        store.beforeFlush.withLock { $0 = nil }
        client.flush()
        let totals = try totals()
        #expect(totals["hit"] == 7 && (totals["client.flush.error"] ?? 0) >= 1)
    }

    @Test func whileTheStoreTakesNoWritesTheKeptCountsAreBoundedAndWhatDoesNotFitIsCounted() throws {
        defer { client.shutdown() }
        store.beforeFlush.withLock { $0 = { _ throws(ControlStoreError) in
            throw .io(path: "c.db", message: "cannot reach the server (connection refused)")
        } }
        let limit = MigrationClient.carriedNamesLimit
        for i in 0..<limit { client.count("n\(i)") }
        client.flush()
        for i in limit..<(limit + 10) { client.count("n\(i)") }
        client.count("n0", by: 4)        // an already kept counter still sums, however long the outage
        client.flush()
        store.beforeFlush.withLock { $0 = nil }
        client.flush()
        let totals = try totals()
        let kept = totals.filter { $0.key.hasPrefix("n") }
        #expect(kept.count == limit, "one number per counter is kept, up to the limit")
        #expect(kept.values.reduce(0, +) == Int64(limit) + 4)
        #expect(totals["client.flush.dropped"] == 10, "each count that did not fit is counted, never dropped in silence")
        #expect(logged("are full, so 1 for counter"))
    }
}
