import ArgumentParser
import Foundation
import MigrationCore

/// Which job a `pause`, `resume`, `rate`, `batch` or `status` subcommand steers: the same
/// commands serve `migctl backfill` and `migctl verify`.
protocol SteeredJob {
    static var job: Job { get }
    /// What the job does to a row, for help and answers ("copy", "verify").
    static var verb: String { get }
}

enum BackfillJob: SteeredJob {
    static var job: Job { .backfill }
    static var verb: String { "copy" }
}

enum VerifyJob: SteeredJob {
    static var job: Job { .verify }
    static var verb: String { "verify" }
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

struct JobPause<Steered: SteeredJob>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "pause", abstract: "Stop after the batch in progress, until resumed.")
    }
    @OptionGroup var change: JobChangeOptions
    func run() throws { try change.apply(.pause, to: Steered.job) }
}

struct JobResume<Steered: SteeredJob>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "resume", abstract: "Go on from where it paused.")
    }
    @OptionGroup var change: JobChangeOptions
    func run() throws { try change.apply(.resume, to: Steered.job) }
}

struct JobRate<Steered: SteeredJob>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "rate", abstract: "\(Steered.verb.capitalized) at most N rows a second (0 lifts the limit).")
    }
    @OptionGroup var change: JobChangeOptions
    @Argument(help: ArgumentHelp("Rows a second, 0 to 1000000000 (0: no limit).", valueName: "rows-per-second")) var rate: Int64
    func validate() throws { if let problem = JobControlChange.rate(rate).problem { throw ValidationError(problem + ".") } }
    func run() throws { try change.apply(.rate(rate), to: Steered.job) }
}

struct JobBatch<Steered: SteeredJob>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "batch", abstract: "\(Steered.verb.capitalized) N rows a batch (1 to 100000).")
    }
    @OptionGroup var change: JobChangeOptions
    @Argument(help: ArgumentHelp("Rows a batch.", valueName: "rows")) var batch: Int
    func validate() throws { if let problem = JobControlChange.batch(batch).problem { throw ValidationError(problem + ".") } }
    func run() throws { try change.apply(.batch(batch), to: Steered.job) }
}

struct JobRestart<Steered: SteeredJob>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "restart", abstract: "Ask for a new run once the current one has finished (after mending what it found).")
    }
    @OptionGroup var change: JobChangeOptions
    func run() throws { try change.apply(.restart, to: Steered.job) }
}

/// The words for a job's control, one place for the command's answer, the audit details and `status`.
enum JobControlLine {
    static func describe(_ control: JobControl) -> String {
        [control.paused ? "paused" : "running", control.rate == 0 ? "no rate limit" : "at most \(control.rate) rows a second",
         "batches of \(control.batch)"].joined(separator: ", ")
    }
}
