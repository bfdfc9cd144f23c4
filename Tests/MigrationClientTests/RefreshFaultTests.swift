import Foundation
import InMemoryLogging
import Logging
import MigrationClient
import MigrationCore
import Testing

/// Whatever the database holds, a client keeps routing by the last state it could use.
struct RefreshFaultTests {
    @Test func aStateNamingAPhaseThePlanLacksKeepsTheLastGoodRoutes() throws {
        let fixture = try ControlFixture()
        try fixture.move(to: "new-primary")
        let store = FaultyStore(fixture.store)
        let logs = InMemoryLogHandler()
        let client = try MigrationClient(store: store, refreshInterval: .seconds(60), flushInterval: .seconds(60),
                                         logger: Logger(label: "test") { _ in logs })
        defer { client.shutdown() }
        let before = client.route(for: "user-42")
        #expect(before.primary == .new)

        store.stateOverride.withLock { $0 = { state in
            MigrationState(phase: "warp-drive", rollout: state.rollout, version: state.version + 1, phaseSince: state.phaseSince,
                           changedAt: state.changedAt, changedBy: state.changedBy)
        } }
        try fixture.store.setGauge("anything", to: 1, at: Date())   // any commit makes the client read the state again
        client.refresh()

        #expect(client.route(for: "user-42") == before, "writes still go to the new store first")
        #expect(client.current.state.phase == "new-primary")
        #expect(client.refreshErrors == 1)
        #expect(logs.entries.map(\.level) == [.error])
        #expect(logs.entries.first?.message.description.contains("names phase 'warp-drive', which the plan does not have") == true)
        client.flush()
        #expect(try fixture.store.counterTotals()["client.refresh.error"] == 1)
    }
}
