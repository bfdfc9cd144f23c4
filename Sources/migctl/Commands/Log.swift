import ArgumentParser
import Foundation
import MigrationCore

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the audit log, newest first, follow it, or verify its hash chain.",
        discussion: """
            --follow prints the last --limit events oldest first, as tail -f does, then each new event \
            as it lands (within a quarter second), never missing or repeating one, until SIGINT or \
            SIGTERM (exit 0). With --json each event is one JSON object on its own line (JSON Lines). \
            It stops with exit 1 when the last event it printed is no longer in the log as printed \
            (the store was replaced by another or rewritten), or when the file is deleted; other \
            failed reads are one line on stderr each, and it keeps trying.

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

    @Flag(name: .long, help: "Print the last --limit events oldest first, then each new one as it lands, until SIGINT or SIGTERM.")
    var follow = false

    func validate() throws {
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 100000.") }
        if follow, verify { throw ValidationError("--follow and --verify do not go together: verify the chain, then follow it.") }
    }

    func run() throws {
        if follow {
            // Handled from the start, so a SIGTERM while the store is still being opened stops cleanly too.
            let stop = StopRequest(parent: nil)
            try reportingFailures {
                try LogFollow(limit: limit, json: output.json).run(try store.open(), stop: stop)
            }
            return
        }
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
                for event in events { say(Self.line(event)) }
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

    /// An event as one line: `#12  2026-11-25T12:58:08.123Z  ana@h1  advance old-only → dual-write  v3`.
    static func line(_ event: AuditEvent) -> String {
        var line = "#\(event.id)  \(Timestamp.string(event.at))  \(event.signature.terminalSafe)  \(event.summary())"
        if let version = event.version { line += "  v\(version)" }
        return line
    }
}
