import Foundation
import TestSupport
import Testing

extension StoreUnderTest {
    /// migctl run in the fixture's folder against its store (`MIGCTL_DB`), as the fixture's
    /// own actor: `tester` on SQLite, the superuser's login on PostgreSQL.
    var migctl: MigctlProcess {
        var process = MigctlProcess(folder: folder.url)
        process.environment = MigctlProcess.baseEnvironment.merging((try? environment()) ?? [:]) { $1 }
        return process
    }

    /// migctl acting as `person`: `MIGCTL_ACTOR` on SQLite; on PostgreSQL their own login, in
    /// `roles` (created at the first call, so after `init` made the roles).
    func migctl(as person: String, roles: [Role] = [.operator, .approver]) throws -> MigctlProcess {
        try login(person, roles: roles)
        var process = MigctlProcess(folder: folder.url)
        process.environment = MigctlProcess.baseEnvironment.merging(try environment(as: person)) { $1 }
        return process
    }

    /// The store created by `migctl init --plan plan.yaml` from `plan` (written into the folder),
    /// and migctl pointed at it as the fixture's own actor.
    func initialized(plan: String, name: String = "users-v2") throws -> MigctlProcess {
        try Data(plan.utf8).write(to: folder.url.appending(path: "plan.yaml"))
        let created = try migctl.run(["init", "--name", name, "--plan", "plan.yaml"])
        #expect(created.status == 0, "\(created.stderr)")
        return migctl
    }

    /// An SQL expression for "now" as each store writes instants.
    var nowSQL: String { kind == .sqlite ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" : "now()" }
}

extension MigctlProcess {
    /// What every migctl a test runs sees, before the store's variables.
    static let baseEnvironment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
}
