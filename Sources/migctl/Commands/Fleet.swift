import ArgumentParser
import Foundation
import MigrationCore

struct Fleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the application instances using this migration, live or stale, and the state version each serves.",
        discussion: "An instance is live when its heartbeat is at most --live seconds old. Crossing the point of no return while one still serves an older state is what the fleet gate prevents."
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
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            let version = try opened.state().version
            let now = Date()
            let rows = try opened.instances().map { instance in
                Row(id: instance.id, host: instance.host, pid: instance.pid, servingVersion: instance.servingVersion,
                    heartbeatAt: instance.heartbeatAt, live: instance.isLive(at: now, within: Double(live)),
                    current: instance.servingVersion == version)
            }
            if output.json {
                try JSONOutput.print(rows)
                return
            }
            let liveRows = rows.filter(\.live)
            say("instances \(liveRows.filter(\.current).count)/\(liveRows.count) live on v\(version)")
            for row in rows {
                let age = humanDuration(now.timeIntervalSince(row.heartbeatAt))
                say("  \(row.host.terminalSafe):\(row.pid)  v\(row.servingVersion)\(row.current ? "" : " (behind)")  \(row.live ? "live" : "stale"), seen \(age) ago  \(row.id.terminalSafe)")
            }
        }
    }
}
