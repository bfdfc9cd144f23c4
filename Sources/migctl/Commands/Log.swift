import ArgumentParser
import Foundation
import MigrationCore

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the audit log, newest first.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: "How many events to show (1–100000).")
    var limit = 20

    func validate() throws {
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 100000.") }
    }

    func run() throws {
        try reportingFailures {
            let events = try store.open().auditLog(limit: limit)
            if output.json {
                try JSONOutput.print(events)
            } else {
                for event in events { say(line(event)) }
            }
        }
    }

    private func line(_ event: AuditEvent) -> String {
        var line = "#\(event.id)  \(Timestamp.string(event.at))  \("\(event.actor)@\(event.host)".terminalSafe)  \(event.summary())"
        if let version = event.version { line += "  v\(version)" }
        return line
    }
}
