import Foundation
import MigrationCore
import PostgresStore

/// The demo's second operator on PostgreSQL, where the login is the actor: approvals must
/// come from another login than the one that advances.
enum DemoApprover {
    /// The approver's connection: nil on a SQLite file (the autopilot names its approver);
    /// `approverURL` when given; else a login `<schema>_demo_approver`, created (member of the
    /// approver role) when the operator's login may create roles.
    static func store(control: String, approverURL: String?) throws -> (any ControlStore)? {
        guard PostgresURL.isURL(control) else { return nil }
        if let approverURL { return try ControlStores.open(approverURL) }
        var url = try PostgresURL(control)
        let login = "\(url.schema)_demo_approver"
        guard let owner = try ControlStores.open(control) as? PostgresControlStore else { return nil }
        try owner.createLogin(login, memberOf: PostgresControlStore.approverRole(schema: url.schema))
        url.user = login
        url.password = nil
        return try PostgresControlStore(url: url)
    }

    /// Drops the login ``store(control:approverURL:)`` created, so no password-less login with
    /// approver rights outlives the demo (its approvals stay in the audit log, by name).
    static func dropCreatedLogin(control: String, approverURL: String?) {
        guard approverURL == nil, PostgresURL.isURL(control), let url = try? PostgresURL(control),
              let owner = try? ControlStores.open(control) as? PostgresControlStore else { return }
        try? owner.dropLogin("\(url.schema)_demo_approver")
    }
}
