import ArgumentParser
import Foundation
import MigrationCore

/// `migctl backfill`: steer the backfill while it runs (its `job_control` row, each change
/// audited) and see where it is.
struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Pause, resume, rate-limit or resize the backfill's batches while it runs, or show where it is.",
        discussion: """
            The backfill reads these settings before each batch, so a change takes effect within one \
            batch. Each change is recorded in the audit log; on PostgreSQL it takes the operator role.
            """,
        subcommands: [JobPause.self, JobResume.self, JobRate.self, JobBatch.self, BackfillStatus.self],
        defaultSubcommand: BackfillStatus.self
    )
}

/// What every change of a job's control takes: the store, the actor and a reason.
struct JobChangeOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions

    @Option(name: .long, help: ArgumentHelp("Why, recorded in the audit log.", valueName: "text"))
    var reason: String?

    func validate() throws {
        if let reason, let problem = Limits.reasonProblem(reason) { throw ValidationError(problem) }
    }

    /// Makes `change` to `job`'s control with its audit row, and says what it did.
    func apply(_ change: JobControlChange, to job: Job) throws {
        try reportingFailures {
            let opened = try store.open()
            let signer = try actor.signer(for: opened)
            let event = AuditEvent(at: Date(), actor: signer.name, host: signer.host, action: job.auditAction.rawValue,
                                   reason: reason, details: change.summary)
            try opened.changeJobControl(job, change, event: event)
            let after = try opened.jobControl(job)
            say("\(job.rawValue) \(change.summary); now \(JobControlLine.describe(after))")
        }
    }
}

struct JobPause: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Stop after the batch in progress, until resumed.")
    @OptionGroup var change: JobChangeOptions
    func run() throws { try change.apply(.pause, to: .backfill) }
}

struct JobResume: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Go on from where it paused.")
    @OptionGroup var change: JobChangeOptions
    func run() throws { try change.apply(.resume, to: .backfill) }
}

struct JobRate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rate", abstract: "Copy at most N rows a second (0 lifts the limit).")
    @OptionGroup var change: JobChangeOptions
    @Argument(help: ArgumentHelp("Rows a second, 0 to 1000000000 (0: no limit).", valueName: "rows-per-second")) var rate: Int64
    func validate() throws { if let problem = JobControlChange.rate(rate).problem { throw ValidationError(problem + ".") } }
    func run() throws { try change.apply(.rate(rate), to: .backfill) }
}

struct JobBatch: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "batch", abstract: "Copy N rows a batch (1 to 100000).")
    @OptionGroup var change: JobChangeOptions
    @Argument(help: ArgumentHelp("Rows a batch.", valueName: "rows")) var batch: Int
    func validate() throws { if let problem = JobControlChange.batch(batch).problem { throw ValidationError(problem + ".") } }
    func run() throws { try change.apply(.batch(batch), to: .backfill) }
}

/// The words for a job's control, one place for the command's answer, the audit details and `status`.
enum JobControlLine {
    static func describe(_ control: JobControl) -> String {
        [control.paused ? "paused" : "running", control.rate == 0 ? "no rate limit" : "at most \(control.rate) rows a second",
         "batches of \(control.batch)"].joined(separator: ", ")
    }
}

struct BackfillStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the backfill's settings and progress; with --wait, wait until it is done.",
        discussion: """
            Progress comes from the gauges the backfill reports (backfill.total, backfill.done, \
            backfill.remaining). --wait exits 0 once backfill.remaining is 0, and 1 when a running \
            (not paused) backfill reports no progress for --stall.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .long, help: "Wait until the backfill is done (exit 0), or has stalled (exit 1).")
    var wait = false

    @Option(name: .long, help: ArgumentHelp("With --wait: how long without progress is a stall.", valueName: "duration"))
    var stall = "60s"

    @Option(name: .long, help: ArgumentHelp("With --wait: how often to look.", valueName: "duration"))
    var interval = "1s"

    func validate() throws {
        _ = try DurationArgument.seconds(stall, option: "--stall", within: 1...86_400)
        _ = try DurationArgument.seconds(interval, option: "--interval", within: 0.05...3600)
    }

    struct Report: Encodable, Equatable {
        let job = "backfill"
        let paused: Bool
        let rate: Int64
        let batch: Int
        let changedAt: String?
        let changedBy: String?
        let total: Double?
        let done: Double?
        let remaining: Double?
        let reportedAt: String?
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            let stallSeconds = try DurationArgument.seconds(stall, option: "--stall", within: 1...86_400)
            let every = try DurationArgument.seconds(interval, option: "--interval", within: 0.05...3600)
            var report = try Self.report(opened)
            show(report)
            guard wait else { return }
            var lastProgress = (done: report.done, at: opened.now())
            while report.remaining != 0 {
                Thread.sleep(forTimeInterval: every)
                report = try Self.report(opened)
                let now = opened.now()
                if report.done != lastProgress.done || report.paused {
                    lastProgress = (report.done, now)
                } else if now.timeIntervalSince(lastProgress.at) >= stallSeconds {
                    throw ControlStoreError.invalidValue(
                        "the backfill has stalled: no progress for \(DurationArgument.describe(stallSeconds)) while running; check the process that runs it (its log, 'migctl fleet list')")
                }
            }
            if !output.json { say("backfill: done") }
        }
    }

    static func report(_ store: any ControlStore) throws -> Report {
        let control = try store.jobControl(.backfill)
        let gauges = try store.gauges()
        func gauge(_ name: String) -> Gauge? { gauges.first { $0.name == name } }
        let reported = [gauge("backfill.total"), gauge("backfill.done"), gauge("backfill.remaining")].compactMap { $0?.updatedAt }.max()
        return Report(paused: control.paused, rate: control.rate, batch: control.batch,
                      changedAt: control.changedAt.map(Timestamp.string), changedBy: control.changedBy,
                      total: gauge("backfill.total")?.value, done: gauge("backfill.done")?.value,
                      remaining: gauge("backfill.remaining")?.value, reportedAt: reported.map(Timestamp.string))
    }

    private func show(_ report: Report) {
        if output.json {
            try? JSONOutput.printLine(report)
            return
        }
        let control = JobControl(paused: report.paused, rate: report.rate, batch: report.batch)
        let changed = report.changedBy.map { " (changed by \($0.terminalSafe) at \(report.changedAt ?? "?"))" } ?? ""
        say("backfill: \(JobControlLine.describe(control))\(changed)")
        guard let total = report.total, total > 0 else {
            say("progress: the backfill has not reported a total yet (the gauge backfill.total)")
            return
        }
        let done = report.done ?? 0
        let share = min(100, max(0, done / total * 100))
        say("progress: \(Int(done)) of \(Int(total)) records walked (\(String(format: "%.1f", share))%), \(Int(report.remaining ?? max(0, total - done))) remaining; reported at \(report.reportedAt ?? "?")")
    }
}
