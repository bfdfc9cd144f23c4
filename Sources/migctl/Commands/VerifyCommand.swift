import ArgumentParser
import Foundation
import MigrationCore

/// `migctl verify`: steer the full verification while it runs, see where it is, and list the
/// keys it found mismatching.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Pause, resume, rate-limit or resize the full verification, show where it is, or list its mismatches.",
        discussion: """
            The verifier (a job of the application: the client libraries' Verifier; the demo's service \
            runs one once its backfill is done) walks every key of the old store and compares it with \
            the new store. It reads these settings before each batch; each change is recorded in the \
            audit log (on PostgreSQL it takes the operator role). A 'verified' gate passes once a run \
            that started in the gate's phase or later finished with no mismatch.
            """,
        subcommands: [JobPause<VerifyJob>.self, JobResume<VerifyJob>.self, JobRate<VerifyJob>.self, JobBatch<VerifyJob>.self,
                      JobRestart<VerifyJob>.self, JobStatus<VerifyJob>.self, VerifyReport.self],
        defaultSubcommand: JobStatus<VerifyJob>.self
    )
}

/// `migctl verify report`: the newest run's mismatching keys, each with a digest of both sides.
struct VerifyReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "List the keys the newest verification run found missing, deleted or different.",
        discussion: """
            Each line names a key and the first 12 hex digits of the SHA-256 of each side's value \
            (or 'absent', 'tombstone'); --json gives whole digests. Keys are shown with anything that \
            could steer a terminal escaped.
            """)

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("List at most this many mismatches.", valueName: "n"))
    var limit = 100

    func validate() throws {
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit is 1 to 100000, not \(limit).") }
    }

    struct Report: Encodable {
        let runStartedAt: String?
        let sincePhase: String?
        let finishedAt: String?
        let walked: Int64?
        let mismatches: Int64?
        let shown: [Entry]

        struct Entry: Encodable {
            let key: String
            let oldDigest: String
            let newDigest: String
            let foundAt: String
        }
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            guard let run = try opened.jobProgress(.verify) else {
                if output.json {
                    try JSONOutput.printLine(Report(runStartedAt: nil, sincePhase: nil, finishedAt: nil, walked: nil, mismatches: nil, shown: []))
                } else {
                    say("no verification has run yet")
                }
                return
            }
            let found = try opened.verifyMismatches(runStartedAt: run.startedAt, limit: limit)
            let report = Report(runStartedAt: Timestamp.string(run.startedAt), sincePhase: run.sincePhase,
                                finishedAt: run.finishedAt.map(Timestamp.string), walked: run.done, mismatches: run.mismatches,
                                shown: found.map { Report.Entry(key: $0.key, oldDigest: $0.oldDigest, newDigest: $0.newDigest,
                                                                foundAt: Timestamp.string($0.foundAt)) })
            if output.json {
                try JSONOutput.printLine(report)
                return
            }
            let state = run.finishedAt.map { "finished at \(Timestamp.string($0))" } ?? "under way"
            say("run started at \(Timestamp.string(run.startedAt)) in \(run.sincePhase?.terminalSafe ?? "?"), \(state): \(run.done) keys walked, \(run.mismatches) mismatch\(run.mismatches == 1 ? "" : "es")")
            for entry in found {
                say("  \(entry.key.terminalSafe)  old \(VerifyMismatch.shortDigest(entry.oldDigest))  new \(VerifyMismatch.shortDigest(entry.newDigest))  found \(Timestamp.string(entry.foundAt))")
            }
            if Int64(found.count) < run.mismatches {
                say("  … \(run.mismatches - Int64(found.count)) more (--limit)")
            }
        }
    }
}
