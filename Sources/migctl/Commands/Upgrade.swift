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
                let url = try PostgresURL(store.path)
                let (from, to) = try PostgresControlStore(url: url, allowOlderSchema: true).upgrade(host: ProcessInfo.processInfo.hostName)
                say(from == to ? "\(url) is already at schema version \(to); nothing to do" : "upgraded \(url) from schema version \(from) to \(to)")
                return
            }
            let (from, to) = try SQLiteControlStore.upgrade(at: store.path, by: try actor.signer, at: Date())
            say(from == to ? "\(store.path) is already at schema version \(to); nothing to do" : "upgraded \(store.path) from schema version \(from) to \(to)")
        }
    }
}
