import Foundation
import MigrationCore
import PostgresStore
import TestSupport
import Testing

/// The one connection of a process, when the server takes it away.
struct PostgresLinkTests {
    @Test func aConnectionKilledSoonAfterItOpenedIsAFailedAttemptAndTheNextWaitsItsBackoff() throws {
        let under = try StoreUnderTest(.postgres)
        _ = try under.create(by: under.signer("ana"))
        let name = "\(under.schema())_link"
        let store = try ControlStores.open(under.db + "&application_name=\(name)")
        _ = try store.state()
        // A terminate loop (or a pooler's connection limit) kills each new connection at once.
        let terminate = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(name)'"
        #expect(under.superuserSQL(terminate).status == 0)
        var refusals: [String] = []
        let deadline = Date().addingTimeInterval(5)
        while refusals.isEmpty, Date() < deadline {
            do {
                _ = try store.state()
            } catch {
                if error.description.contains("next try in") { refusals.append(error.description) }
            }
        }
        #expect(!refusals.isEmpty, "a connection that died young must not be replaced at once, with no wait")
        #expect(eventually(within: .seconds(5)) { (try? store.state()) != nil }, "it reconnects once the wait is over")
    }
}
