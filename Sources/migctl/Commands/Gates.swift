import ArgumentParser
import Foundation
import MigrationCore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate the gates of the next phase.",
        discussion: "Exit 0 when every gate passes, 3 otherwise (a fail or an unknown). Command gates are run."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("Assert which phase is next; refused (6) if it is not.", valueName: "phase"))
    var to: String?

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            let control = MigrationControl(store: opened, signer: try actor.signer(for: opened))
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
                say("gates of \(report.target)\(report.irreversible ? " (irreversible: advance needs --confirm \(report.target))" : "")")
                for result in report.results { say(GateText.line(result)) }
                if report.results.isEmpty { say("  (this phase has no gates)") }
            }
            if !report.allPass { throw ExitCode(ExitStatus.gateFailed.rawValue) }
        }
    }
}

/// How gate results read in a terminal.
enum GateText {
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
        discussion: "The approval counts for another operator's advance within the gate's window; your own advance does not count it."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions

    @Argument(help: "The phase being approved.")
    var phase: String

    @Option(name: .long, help: ArgumentHelp("Why it is safe, for the audit log (at most 2000 characters).", valueName: "text"))
    var reason: String?

    func validate() throws {
        if let problem = Limits.reasonProblem(reason) { throw ValidationError(problem) }
    }

    func run() throws {
        try reportingFailures {
            let opened = try store.open()
            guard try opened.plan().phase(phase) != nil else {
                throw ValidationError("the plan has no phase '\(phase.terminalSafe)'; see 'migctl status'.")
            }
            let signer = try actor.signer(for: opened)
            try opened.approve(phase: phase, by: signer, at: Date(), reason: reason)
            say("approved \(phase) as \(signer.name)")
        }
    }
}

struct Checklist: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the current phase's runbook checklist, or tick and untick its items.",
        discussion: "Ticks are stored with who and when, and every console shows them. The checklist gate passes when every item is ticked."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var actor: ActorOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("Tick item N.", valueName: "n"))
    var tick: [Int] = []

    @Option(name: .long, help: ArgumentHelp("Untick item N.", valueName: "n"))
    var untick: [Int] = []

    @Option(name: .long, help: ArgumentHelp("Another phase's checklist instead of the current one.", valueName: "phase"))
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
            for number in tick { try opened.setTick(phase: phase, item: number, ticked: true, by: signer, at: Date()) }
            for number in untick { try opened.setTick(phase: phase, item: number, ticked: false, by: signer, at: Date()) }
            let items = try opened.checklist(phase: phase)
            if output.json {
                try JSONOutput.print(items)
                return
            }
            say("checklist of \(phase.terminalSafe): \(items.filter(\.isTicked).count)/\(items.count) ticked")
            for item in items {
                let by = item.tickedBy.map { "  (\($0.terminalSafe)\(item.tickedAt.map { ", " + Timestamp.string($0) } ?? ""))" } ?? ""
                say("  \(item.number). [\(item.isTicked ? "x" : " ")] \(item.text.terminalSafe)\(by)")
            }
        }
    }
}
