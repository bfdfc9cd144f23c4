import ArgumentParser
import Foundation
import MigrationCore

struct Fleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the application instances using this migration, or forget one that is gone.",
        subcommands: [FleetList.self, FleetForget.self], defaultSubcommand: FleetList.self
    )
}

struct FleetList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the application instances, live or silent, and the state version each serves.",
        discussion: "An instance is live when its heartbeat is at most --live seconds old. Crossing the point of no return while one still serves an older state is what the fleet gate prevents; an instance that went silent without leaving, or that says its state is older than the plan's serving lease (stale), keeps that gate unknown until it reports again or is forgotten."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: "Seconds since the last heartbeat under which an instance counts as live.")
    var live = 60

    struct Row: Encodable {
        let id: String
        let host: String
        let pid: Int64
        let servingVersion: Int64
        let heartbeatAt: Date
        let live: Bool
        let current: Bool
        /// The instance says it could not refresh its state within the serving lease.
        let stale: Bool
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            let version = try opened.state().version
            let now = Date()
            let rows = try opened.instances().map { instance in
                Row(id: instance.id, host: instance.host, pid: instance.pid, servingVersion: instance.servingVersion,
                    heartbeatAt: instance.heartbeatAt, live: instance.isLive(at: now, within: Double(live)),
                    current: instance.servingVersion == version, stale: instance.stale)
            }
            if output.json {
                try JSONOutput.print(rows)
                return
            }
            let liveRows = rows.filter(\.live)
            say("instances \(liveRows.filter(\.current).count)/\(liveRows.count) live on v\(version)")
            for row in rows {
                let age = humanDuration(now.timeIntervalSince(row.heartbeatAt))
                let health = !row.live ? "silent" : row.stale ? "live, but its state is past the serving lease" : "live"
                say("  \(row.host.terminalSafe):\(row.pid)  v\(row.servingVersion)\(row.current ? "" : " (behind)")  \(health), seen \(age) ago  \(row.id.terminalSafe)")
            }
        }
    }
}

struct FleetForget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove an instance that is gone for good (killed, its host lost) from the fleet, with an audit event.",
        discussion: "Only for an instance you know no longer serves: while its row stays, the fleet gate cannot confirm the fleet. An instance that is still running simply reports again."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions

    @Argument(help: "The instance's id, as 'migctl fleet list' shows it.")
    var id: String

    @Option(name: .long, help: ArgumentHelp("Why it is gone, recorded in the audit log.", valueName: "text"))
    var reason: String

    func validate() throws {
        if let problem = Limits.reasonProblem(reason) { throw ValidationError(problem) }
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            guard let instance = try opened.instances().first(where: { $0.id == id }) else {
                throw ControlStoreError.invalidValue("there is no instance '\(id.terminalSafe)' in the fleet (see 'migctl fleet list')")
            }
            let signer = try actor.signer(for: opened)
            let event = AuditEvent(at: Date(), actor: signer.name, host: signer.host, action: AuditAction.forget.rawValue,
                                   reason: reason, details: "\(instance.id) \(instance.host):\(instance.pid) on v\(instance.servingVersion)")
            guard try opened.forgetInstance(id: id, event: event) else {
                throw ControlStoreError.invalidValue("the instance '\(id.terminalSafe)' could not be removed (it left meanwhile, or this login may not remove it)")
            }
            say("forgot \(instance.host.terminalSafe):\(instance.pid) (\(id.terminalSafe))")
        }
    }
}
