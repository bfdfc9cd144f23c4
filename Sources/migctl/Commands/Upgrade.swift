import ArgumentParser
import Foundation
import MigrationCore
import PostgresStore

struct Upgrade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upgrade an older control database to this migctl's schema, recording it in the audit log.",
        discussion: "Readers never upgrade a file by themselves. Update every process that reads the file first: an older migctl refuses a newer schema."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions

    func run() throws {
        try reportingFailures {
            if PostgresURL.isURL(store.path) {
                // Version 3 is the first on PostgreSQL: there is no older schema to upgrade yet.
                let found = try PostgresControlStore(url: try PostgresURL(store.path), allowOlderSchema: true).schemaVersion()
                say("\(try PostgresURL(store.path)) is at schema version \(found), the one this migctl reads; nothing to do")
                return
            }
            let (from, to) = try SQLiteControlStore.upgrade(at: store.path, by: try actor.signer, at: Date())
            say(from == to ? "\(store.path) is already at schema version \(to); nothing to do" : "upgraded \(store.path) from schema version \(from) to \(to)")
        }
    }
}
