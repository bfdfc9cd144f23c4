import Foundation
import MigrationCore
import PostgresStore
import Runbook

/// The two control stores the figures compare, side by side in one run.
enum BenchStore: Sendable {
    case sqlite
    /// The server at this libpq URL (without `schema=`): each figure makes a schema of its own there.
    case postgres(String)

    var label: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }

    /// A fresh control store of this kind, in `read-new` at 50%, for one figure.
    func fixture(_ name: String) throws -> StoreFixture {
        switch self {
        case .sqlite:
            let file = try BenchFixture(name: name)
            return StoreFixture(location: file.path, store: file.store, control: file.control, server: nil, remove: file.remove)
        case .postgres(let base):
            return try StoreFixture.postgres(base: base)
        }
    }
}

/// A control store for one figure: where the client processes find it (a path or a URL), the
/// store and an operator's control over it, and how to remove it all afterwards.
struct StoreFixture {
    let location: String
    let store: any ControlStore
    let control: MigrationControl
    /// The PostgreSQL server's superuser connection, for what the store does not do.
    let server: PostgresAdmin?
    let remove: () -> Void

    /// A schema `bench_<random>` on the server at `base`, with the ungated plan in `read-new` at
    /// 50%. `remove` drops the schema and its three roles.
    static func postgres(base: String) throws -> StoreFixture {
        let admin = try PostgresAdmin(base)
        let schema = "bench_" + String((0..<10).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        let location = PostgresAdmin.url(base, adding: ["schema": schema, "application_name": "migctl-bench"])
        let remove = { admin.dropSchema(schema) }
        do {
            let store = try PostgresControlStore.create(
                url: try PostgresURL(location), name: "bench", plan: BenchFixture.plan, runbooks: Plan.defaultRunbooks,
                checklists: RunbookDocument.checklists(of: Plan.defaultRunbooks), host: "bench")
            // On a server the actor is the login: sign as it.
            let control = MigrationControl(store: store, signer: Operator(name: try store.login() ?? "postgres", host: "bench"))
            try control.perform(.advance(rollout: .full))
            try control.perform(.advance(rollout: try Rollout(percent: "50")))
            return StoreFixture(location: location, store: store, control: control, server: admin, remove: remove)
        } catch {
            remove()
            throw error
        }
    }

    /// The same store under another application name, so that a fleet's connections can be told
    /// from the benchmark's own in `pg_stat_activity`.
    func location(applicationName: String) -> String {
        guard PostgresURL.isURL(location) else { return location }
        return location.replacingOccurrences(of: "application_name=migctl-bench", with: "application_name=\(applicationName)")
    }
}
