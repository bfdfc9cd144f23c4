import ArgumentParser
import Foundation
import MigrationCore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate the gates of the next phase.",
        discussion: "Exit 0 when every gate passes, 3 otherwise (a fail or an unknown). Command gates are run and prometheus gates queried."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("Assert which phase is next; refused (6) if it is not.", valueName: "phase"),
            completion: PhaseCompletion.kind)
    var to: String?

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            let control = MigrationControl(store: opened, signer: try actor.signer(for: opened), checks: .migctl)
            let state = try control.store.state()
            guard let report = try control.checkNext() else {
                throw ControlError.refused(.atFinalPhase(state.phase))
            }
            if let to, to != report.target {
                throw ControlError.refused(.notTheNextPhase(asked: to, next: report.target))
            }
            if output.json {
                try JSONOutput.print(report)
            } else {
                say(GateText.report(report))
            }
            if !report.allPass { throw ExitCode(ExitStatus.gateFailed.rawValue) }
        }
    }
}

/// How gate results read in a terminal: `check`, and every `--dry-run`, print them so.
enum GateText {
    /// A report as `migctl check` prints it: a heading naming the phase (and its confirmation
    /// when irreversible), then one line per gate.
    ///
    /// ```
    /// gates of b (irreversible: advance needs --confirm b)
    ///   FAIL    checklist of a: 0/2 ticked (want all) · 2 items open, first #1: backups tested
    /// ```
    static func report(_ report: GateReport, heading: String? = nil) -> String {
        let top = heading
            ?? "gates of \(report.target)\(report.irreversible ? " (irreversible: advance needs --confirm \(report.target))" : "")"
        let lines = report.results.isEmpty ? ["  (this phase has no gates)"] : report.results.map(line)
        return ([top] + lines).joined(separator: "\n")
    }

    /// One gate: its status, label, figure, bound and sentence, and a command's last lines.
    static func line(_ result: GateResult) -> String {
        let mark = switch result.status {
        case .pass: "pass   "
        case .fail: "FAIL   "
        case .unknown: "UNKNOWN"
        }
        var text = "  \(mark) \(result.label.terminalSafe): \(result.observed.terminalSafe) (want \(result.bound)) · \(result.sentence.terminalSafe)"
        if !result.overridable { text += " · not overridable" }
        for line in result.output ?? [] { text += "\n            | \(line.terminalSafe)" }
        return text
    }
}

struct Approve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Approve advancing into a phase, as the second operator its approval gate asks for.",
        discussion: """
            The approval counts for another operator's advance within the gate's window; your own advance does not count it. \
            An approval by the operator who made the migration's last change is refused (exit 9): it would not count for \
            their own next advance, and nothing is recorded. \
            --dry-run prints the approval and the phase's approval gate as it would read after it, and records nothing.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var dryRun: DryRunOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The phase being approved.", completion: PhaseCompletion.kind)
    var phase: String

    @Option(name: .long, help: ArgumentHelp("Why it is safe, for the audit log (at most 2000 characters).", valueName: "text"))
    var reason: String?

    func validate() throws {
        if let problem = Limits.reasonProblem(reason) { throw ValidationError(problem) }
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            guard let target = try opened.plan().phase(phase) else {
                throw ValidationError("the plan has no phase '\(phase.terminalSafe)'; see 'migctl status'.")
            }
            let signer = try actor.signer(for: opened)
            // Refused before anything is written, in a dry run too (it exits as the real one would).
            if let refusal = SelfApproval.check(phase: phase, by: signer, state: try opened.state()) { throw refusal }
            if dryRun.dryRun {
                return try DryRunApproval(phase: target, by: signer, reason: reason, store: opened).print(json: output.json)
            }
            let date = Date()
            try opened.approve(phase: phase, by: signer, at: date, reason: reason)
            if output.json {
                // What the store recorded (a server stamps its own clock and login), unless unreadable.
                let recorded = try? opened.approvals(phase: phase).first { Operator.isSamePerson($0.actor, signer.name) }
                try JSONOutput.print(recorded ?? Approval(phase: phase, actor: signer.name, at: date, reason: reason))
            } else {
                say("approved \(phase) as \(signer.name)")
            }
        }
    }
}

struct Checklist: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the current phase's runbook checklist, or tick and untick its items.",
        discussion: """
            Ticks are stored with who and when, and every console shows them. The checklist gate passes when every item is ticked. \
            --dry-run prints which items would be ticked and unticked and whether the checklist would then be complete, and ticks nothing.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var dryRun: DryRunOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("Tick item N.", valueName: "n"))
    var tick: [Int] = []

    @Option(name: .long, help: ArgumentHelp("Untick item N.", valueName: "n"))
    var untick: [Int] = []

    @Option(name: .long, help: ArgumentHelp("Another phase's checklist instead of the current one.", valueName: "phase"),
            completion: PhaseCompletion.kind)
    var phase: String?

    func validate() throws {
        if let bad = (tick + untick).first(where: { $0 < 1 }) {
            throw ValidationError("checklist items are numbered from 1; \(bad) is not one (see 'migctl checklist').")
        }
        if let both = Set(tick).intersection(untick).first {
            throw ValidationError("item \(both) is both ticked and unticked; choose one.")
        }
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            let phase = try self.phase ?? opened.state().phase
            let plan = try opened.plan()
            guard plan.phase(phase) != nil else {
                throw ValidationError("the plan has no phase '\(phase)'; its phases are \(plan.phases.map(\.id).joined(separator: ", ")).")
            }
            let signer = try actor.signer(for: opened)
            if dryRun.dryRun {
                return try DryRunChecklist(phase: phase, tick: tick, untick: untick, by: signer, store: opened).print(json: output.json)
            }
            for number in tick { try opened.setTick(phase: phase, item: number, ticked: true, by: signer, at: Date()) }
            for number in untick { try opened.setTick(phase: phase, item: number, ticked: false, by: signer, at: Date()) }
            let items = try opened.checklist(phase: phase)
            if output.json {
                try JSONOutput.print(items)
                return
            }
            say("checklist of \(phase.terminalSafe): \(items.filter(\.isTicked).count)/\(items.count) ticked")
            for item in items { say(ChecklistText.line(item)) }
        }
    }
}

/// How a checklist item reads in a terminal.
enum ChecklistText {
    /// `  1. [x] backups tested  (bo, 2026-11-25T14:27:19.000Z)`; `note` replaces who and when.
    static func line(_ item: ChecklistItem, note: String? = nil) -> String {
        let by = item.tickedBy.map { "\($0.terminalSafe)\(item.tickedAt.map { ", " + Timestamp.string($0) } ?? "")" }
        let suffix = (note ?? by).map { "  (\($0.terminalSafe))" } ?? ""
        return "  \(item.number). [\(item.isTicked ? "x" : " ")] \(item.text.terminalSafe)\(suffix)"
    }
}
