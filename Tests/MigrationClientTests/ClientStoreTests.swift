import Foundation
import MigrationClient
import MigrationCore
import TestSupport
import Testing

/// The client over both control stores: what it reads, counts and reports reaches the store,
/// and changes reach it, whichever store it was given.
struct ClientStoreTests {
    /// A store of `kind` with the ungated default plan, and a control to move it.
    func created(_ under: StoreUnderTest) throws -> (any ControlStore, MigrationControl) {
        let store = try under.create(name: "users-v2", plan: .ungated, runbooks: [:], by: under.signer("t"))
        return (store, MigrationControl(store: store, signer: under.signer("t")))
    }

    @Test(arguments: StoreKind.allCases)
    func changesReachTheClientWithinTheRefreshInterval(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let (_, control) = try created(under)
        let client = try MigrationClient(store: try under.open(), refreshInterval: .milliseconds(20))
        defer { client.shutdown() }
        try control.perform(.advance())
        try control.perform(.setRollout(try Rollout(percent: "30")))
        #expect(eventually(within: .seconds(2)) { client.current.state.rollout.basisPoints == 3000 })
        #expect(client.current.state.phase == "dual-write" && client.current.state.version == 3)
    }

    @Test(arguments: StoreKind.allCases)
    func noCountIsLostOnACleanShutdownEvenFromManyThreads(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let (store, _) = try created(under)
        let client = try MigrationClient(store: try under.open(), flushInterval: .milliseconds(30))
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<5000 { client.count("hit") }
        }
        client.shutdown()
        #expect(try store.counterTotals()["hit"] == 40_000)
        #expect(try store.instances().isEmpty, "a clean shutdown leaves the fleet")
    }

    @Test(arguments: StoreKind.allCases)
    func theInstanceReportsTheVersionItServes(_ kind: StoreKind) throws {
        let under = try StoreUnderTest(kind)
        let (store, control) = try created(under)
        let client = try MigrationClient(store: try under.open(), refreshInterval: .milliseconds(10), flushInterval: .milliseconds(10))
        defer { client.shutdown() }
        #expect(eventually { (try? store.instances().first?.servingVersion) == 1 })
        try control.perform(.advance())
        #expect(eventually { (try? store.instances().first?.servingVersion) == 2 })
        let me = try #require(try store.instances().first)
        #expect(me.id == client.instanceID && !me.stale && abs(me.heartbeatAt.timeIntervalSinceNow) < 60)
    }
}
