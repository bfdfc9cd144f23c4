import ArgumentParser
import Foundation
import MigrationCore

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the audit log, newest first, or verify its hash chain.",
        discussion: """
            --verify walks the chain from the plan recorded at init to the newest event and exits 0 when \
            every row matches its hash, or 1 naming the first row that does not (rewritten, deleted, \
            inserted out of order) or saying that the plan changed behind it. On a shared SQLite file \
            this detects tampering; it cannot prevent it.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: "How many events to show (1–100000).")
    var limit = 20

    @Flag(name: .long, help: "Verify the audit log's hash chain instead of listing it.")
    var verify = false

    func validate() throws {
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 100000.") }
    }

    func run() throws {
        try reportingFailures {
            if verify {
                let opened = try store.open()
                let problem = try opened.verifyAuditChain()
                let head = try opened.auditChainHead()
                if output.json {
                    try JSONOutput.print(ChainReport(intact: problem == nil, row: problem?.row, problem: problem?.description,
                                                     newestEvent: head?.id, newestHash: head?.hash))
                } else if problem == nil {
                    say("the audit log's hash chain is intact: every event since init matches, and so do the plan and the state")
                    if let head {
                        say("newest event #\(head.id) has hash \(head.hash); keep it elsewhere: a later run must reach the same hash, or the store was rewritten")
                    }
                }
                if let problem {
                    if !output.json { printError("the audit log's hash chain is broken: \(problem)") }
                    throw ExitCode(ExitStatus.error.rawValue)
                }
                return
            }
            let events = try store.open().auditLog(limit: limit)
            if output.json {
                try JSONOutput.print(events)
            } else {
                for event in events { say(line(event)) }
            }
        }
    }

    struct ChainReport: Encodable {
        let intact: Bool
        let row: Int64?
        let problem: String?
        let newestEvent: Int64?
        let newestHash: String?
    }

    private func line(_ event: AuditEvent) -> String {
        var line = "#\(event.id)  \(Timestamp.string(event.at))  \(event.signature.terminalSafe)  \(event.summary())"
        if let version = event.version { line += "  v\(version)" }
        return line
    }
}
