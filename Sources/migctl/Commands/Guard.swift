import ArgumentParser
import Foundation
import GuardService
import Logging
import MigrationCore

struct Guard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guard",
        abstract: "Watch a migration while nobody does: act on the plan's guards, take its automatic ramp steps, tell people.",
        subcommands: [GuardRun.self, GuardClear.self, GuardStatusCommand.self], defaultSubcommand: GuardRun.self
    )
}

struct GuardRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the guard until SIGTERM or SIGINT (the default of 'migctl guard').",
        discussion: """
            One guard acts per control store: it holds a lease row and renews it every interval. A \
            second guard stands by and takes over once the lease expires (--lease after the acting \
            guard stopped renewing). Every interval the acting guard evaluates the current phase's \
            guards and acts on the first that failed (notify, hold, or rollback), takes a due step of \
            the phase's ramp schedule, and advances into a next phase that says auto_advance: true \
            when every gate passes; never into an irreversible one. Each action is an audit event by \
            guard@HOST (on PostgreSQL: the guard's login). It logs to stderr and stops cleanly on \
            SIGTERM, letting the lease go so a standby takes over at once.

            --exec runs a program without a shell: CMD is split at spaces, and the event's JSON \
            arrives on its stdin.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Time between evaluations: 5s, 1m, or 500ms.", valueName: "duration"))
    var interval = "5s"

    @Option(name: .long, help: ArgumentHelp("How long the lease lasts after each renewal (at least three intervals; default 30s or three intervals).", valueName: "duration"))
    var lease: String?

    @Option(name: .long, help: ArgumentHelp("POST each event to this URL (repeatable).", valueName: "url"))
    var webhook: [String] = []

    @Option(name: .long, help: ArgumentHelp("The webhooks' body: json (the event) or slack ({\"text\": …}).", valueName: "json|slack"))
    var webhookFormat = "json"

    @Option(name: .long, help: ArgumentHelp("Run this program for each event, the event's JSON on its stdin (repeatable).", valueName: "cmd"))
    var exec: [String] = []

    @OptionGroup var log: LogOptions

    func validate() throws {
        let every = try Self.seconds(interval, "--interval")
        if let lease, Double(try Self.seconds(lease, "--lease")) < Double(GuardSettings.minimumLease(intervalSeconds: every)) {
            throw ValidationError("--lease must be at least three intervals (\(GuardSettings.minimumLease(intervalSeconds: every))s), so one slow evaluation never loses it.")
        }
        guard WebhookFormat(rawValue: webhookFormat) != nil else { throw ValidationError("--webhook-format must be json or slack.") }
    }

    func run() throws {
        // Handled from the start, so a SIGTERM while the store is still being opened stops cleanly too.
        let stop = StopRequest(parent: nil)
        try reportingFailures {
            let logger = log.bootstrap(label: "migctl.guard")
            let every = try Self.seconds(interval, "--interval")
            let leaseSeconds = try lease.map { Int64(try Self.seconds($0, "--lease").rounded(.up)) }
                ?? max(30, GuardSettings.minimumLease(intervalSeconds: every))
            let format = WebhookFormat(rawValue: webhookFormat) ?? .json
            var targets: [any NotificationTarget] = []
            do {
                targets = try webhook.map { try WebhookTarget(url: $0, format: format) }
                targets += try exec.map { try ExecTarget(command: $0) }
            } catch {
                // A target that cannot be built is bad input: a usage error, before the store is opened.
                throw ValidationError("\(error)")
            }
            let opened = try store.open()
            let host = ProcessInfo.processInfo.hostName
            let signer = try opened.login().map { Operator(name: $0, host: host) } ?? Operator.current(explicit: "guard@\(host)")
            let settings = GuardSettings(intervalSeconds: every, leaseSeconds: leaseSeconds, signer: signer)
            if let problem = settings.problems(with: try opened.plan()).first { throw ValidationError(problem + ".") }
            let notifier = targets.isEmpty ? nil : Notifier(targets: targets, logger: logger)
            let guardRunner = GuardRunner(store: opened, settings: settings, notifier: notifier, logger: logger, checks: .migctl)
            logger.notice("guard \(settings.holder.terminalSafe) watching \(opened.location.terminalSafe) every \(interval.terminalSafe), lease \(leaseSeconds)s")
            while !stop.isRequested, guardRunner.fatal == nil {
                guardRunner.tick()
                if guardRunner.fatal == nil { stop.wait(seconds: every) }
            }
            logger.notice("stopping")
            guardRunner.shutdown()
            if let fatal = guardRunner.fatal { throw GuardStopped(description: fatal) }
        }
    }

    /// `5s`, `1m`, `500ms` (or a number of seconds) as seconds, from 10 ms to a day.
    static func seconds(_ text: String, _ option: String) throws -> Double {
        try DurationArgument.seconds(text, option: option, within: 0.01...86_400)
    }
}

struct GuardClear: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear",
        abstract: "Clear a fired guard, so the migration may move forward again (audited).",
        discussion: "A fired hold or rollback guard blocks advancing and raising the rollout, for people and for the guard, until it is cleared. Clear it once you know why it fired: a flapping metric never ramps back up by itself."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("The guard's name, as the plan and 'migctl guard status' give it.", valueName: "name"))
    var name: String

    @Option(name: .long, help: ArgumentHelp("Why it is safe to go on, recorded in the audit log (required).", valueName: "text"))
    var reason: String

    func validate() throws {
        guard Names.isValidMetricName(name) else {
            throw ValidationError("'\(name.terminalSafe)' is not a guard name; guard names are [a-z0-9][a-z0-9._-]{0,63}.")
        }
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("--reason must say why it is safe to go on.")
        }
        if let problem = Limits.reasonProblem(reason) { throw ValidationError(problem) }
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            let signer = try actor.signer(for: opened)
            let event = GuardSummary.clearEvent(name: name, reason: reason, by: signer, at: opened.now())
            guard let cleared = try opened.clearGuard(name: name, event: event) else {
                let open = try opened.guardFirings(openOnly: true, limit: 100).map(\.name)
                throw GuardNotFired(name: name, open: open)
            }
            if output.json {
                try JSONOutput.print(cleared)
            } else {
                say("cleared guard '\(cleared.name.terminalSafe)' (it fired \(Timestamp.string(cleared.firedAt)) in '\(cleared.phase.terminalSafe)': saw \(cleared.observed.terminalSafe), wanted \(cleared.bound.terminalSafe))")
            }
        }
    }
}

/// The guard could not go on (its file was replaced, its login may not act): exit 1, for its supervisor.
struct GuardStopped: Error, CustomStringConvertible {
    let description: String
}

/// `guard clear` named a guard that has not fired (or was cleared already).
struct GuardNotFired: Error, CustomStringConvertible {
    let name: String
    let open: [String]

    var description: String {
        let fired = open.isEmpty ? "no guard is fired now" : "fired now: \(open.map { $0.terminalSafe }.joined(separator: ", "))"
        return "the guard '\(name.terminalSafe)' has not fired (or was cleared already); \(fired). See 'migctl guard status'."
    }
}

struct GuardStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which guard holds the lease, the guards that fired, and the next automatic ramp step."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    struct Report: Encodable {
        let lease: GuardLease?
        let leaseAlive: Bool
        let fired: [GuardFiring]
        let nextRampStep: String?
        let nextRampAt: Date?
        let published: GuardStatus?
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            let now = opened.now()
            let lease = try opened.guardLease()
            let fired = try opened.guardFirings(openOnly: true, limit: 100)
            let plan = try opened.plan()
            let state = try opened.state()
            let due = plan.phase(state.phase)?.automation.ramp?.due(for: state)
            let published = lease.flatMap { $0.isAlive(at: now) ? $0.decodedStatus : nil }
            if output.json {
                try JSONOutput.print(Report(lease: lease, leaseAlive: lease?.isAlive(at: now) ?? false, fired: fired,
                                            nextRampStep: due?.step.description, nextRampAt: due?.at, published: published))
                return
            }
            say(GuardSummary.lines(lease: lease, fired: fired, due: due, published: published, now: now).joined(separator: "\n"))
        }
    }
}
