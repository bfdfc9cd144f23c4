import Foundation
import MigrationCore
import Runbook

extension ConsoleState {
    /// Keys of the runbook view, from the runbook's rows of the binding table: move between
    /// blocks, jump between sections, tick with Space (then on to the next item), and switch
    /// between the current phase's runbook and the next one's. Nil leaves the key to the rest.
    mutating func handleRunbook(_ key: Key, data: ConsoleData?) -> Effect? {
        guard let binding = KeyBinding.binding(for: key, in: .runbook) else { return nil }
        let blocks = data?.runbookPage(next: runbookShowsNext)?.document?.blocks ?? []
        let last = max(0, blocks.count - 1)
        func isHeading(_ i: Int) -> Bool { if case .heading = blocks[i] { return true } else { return false } }
        switch (binding.action, key) {
        case (.runbookMove, .down), (.runbookMove, .character("j")): runbookCursor = min(last, runbookCursor + 1)
        case (.runbookMove, .up), (.runbookMove, .character("k")): runbookCursor = max(0, runbookCursor - 1)
        case (.runbookMove, .pageDown): runbookCursor = min(last, runbookCursor + 10)
        case (.runbookMove, .pageUp): runbookCursor = max(0, runbookCursor - 10)
        case (.runbookMove, .home): runbookCursor = 0
        case (.runbookMove, .end): runbookCursor = last
        case (.runbookSection, .character("[")):
            runbookCursor = (blocks.indices.last { $0 < runbookCursor && isHeading($0) }) ?? 0
        case (.runbookSection, _):
            runbookCursor = (blocks.indices.first { $0 > runbookCursor && isHeading($0) }) ?? runbookCursor
        case (.tick, _):
            return tick(blocks: blocks, data: data)
        case (.runbookSwitch, _):
            let next = key == .right || (key != .left && !runbookShowsNext)
            guard next != runbookShowsNext else { return Effect.none }
            guard !next || data?.nextPhase != nil else {
                message = Message("\(data?.state.phase ?? "this") is the last phase: there is no next runbook", isError: true)
                return Effect.none
            }
            runbookShowsNext = next
            runbookCursor = next ? data?.nextRunbook?.advanceSection ?? 0 : 0
        default: return nil
        }
        return Effect.none
    }

    /// Space on a checklist item of the current phase's runbook: tick it and move to the next
    /// item, or untick it and stay. A tick whose gate does not pass is allowed (the gate still
    /// holds the advance), and the message says so with the figure.
    private mutating func tick(blocks: [RunbookDocument.Block], data: ConsoleData?) -> Effect {
        if runbookShowsNext {
            message = Message("the next phase's runbook is read-only: its checklist is ticked once the migration is there", isError: true)
            return .none
        }
        guard let data, blocks.indices.contains(runbookCursor), case .task(let number, let spans, _) = blocks[runbookCursor] else {
            message = Message("move the cursor to a checklist item to tick it", isError: true)
            return .none
        }
        if readOnly {
            message = Message("read-only console: ticking is disabled", isError: true)
            return .none
        }
        let ticked = data.checklist.first { $0.number == number }?.isTicked ?? false
        if !ticked {
            runbookCursor = blocks.indices.first { index in
                guard index > runbookCursor, case .task = blocks[index] else { return false }
                return true
            } ?? runbookCursor
            let page = data.runbookPage(next: false)
            let worrying = spans.filter { $0.kind == .gate }.map(\.text).filter { page?.tie(for: $0).isWorrying == true }
            if let name = worrying.first, let figure = page?.figure(name, glyphs: .unicode).text {
                let plain = figure.replacingOccurrences(of: "\u{A0}", with: " ")
                message = Message("ticked, but \(plain): the gate still holds the advance", isError: true)
            }
        }
        return .tick(phase: data.state.phase, item: number, ticked: !ticked)
    }
}

/// One runbook as the runbook view shows it: the current phase's, or the next phase's to read
/// before advancing.
struct RunbookPage {
    /// The phase the runbook belongs to.
    var phase: String
    var document: RunbookDocument?
    var checklist: [ChecklistItem]
    /// Whether this is the next phase's runbook (read-only).
    var isNext: Bool
    /// The phase whose gates the runbook's markers name: the one after ``phase``.
    var markerTarget: Phase?
    /// The evaluation of those gates, when it is at hand (only for the current phase's runbook).
    var report: GateReport?

    /// What the marker `name` stands for on this page.
    func tie(for name: String) -> GateTie {
        GateTie(name: name, target: markerTarget, report: report)
    }

    /// The marker `name` as the operator reads it, and its tone: the gate's figure and bound
    /// (`✗ miss 0.21 (210/1000) want ≤ 0.05`), "no such gate" (as a failure), or, with no
    /// tone, when its figure will be live.
    func figure(_ name: String, glyphs: Glyphs) -> (text: String, tone: GateStatus?) {
        let shown = name.terminalSafe
        switch tie(for: name) {
        case .results(let results):
            let text = results.map { result in
                let mark = switch result.status {
                case .pass: glyphs.pass
                case .fail: glyphs.fail
                case .unknown: glyphs.unknown
                }
                // No-break spaces keep one gate's figure on one line (``WordWrap`` draws them as spaces).
                return "\(mark) \(shown) \(result.observed.terminalSafe) want \(result.bound.terminalSafe)"
                    .replacingOccurrences(of: " ", with: "\u{A0}")
            }.joined(separator: " · ")
            let tone: GateStatus = results.contains { $0.status == .fail } ? .fail
                : results.contains { $0.status == .unknown } ? .unknown : .pass
            return (text, tone)
        case .notEvaluated:
            return (isNext ? "(gate \(shown): live once \(phase.terminalSafe) is current)" : "(gate \(shown): no figure yet)", nil)
        case .noSuchGate(let target?, let names):
            let known = names.isEmpty ? "it has none" : "its gates: " + names.map(\.terminalSafe).joined(separator: ", ")
            return ("\(glyphs.unknown) gate '\(shown)': no such gate of \(target.terminalSafe) (\(known))", .fail)
        case .noSuchGate(nil, _):
            return ("\(glyphs.unknown) gate '\(shown)': no phase follows \(phase.terminalSafe)", .fail)
        }
    }
}

extension ConsoleData {
    /// The current phase's runbook, or with `next` the next phase's; nil for `next` at the last phase.
    func runbookPage(next: Bool) -> RunbookPage? {
        guard next else {
            return RunbookPage(phase: state.phase, document: runbook, checklist: checklist, isNext: false,
                               markerTarget: nextPhase, report: gates)
        }
        guard let following = nextPhase else { return nil }
        return RunbookPage(phase: following.id, document: nextRunbook, checklist: nextChecklist, isNext: true,
                           markerTarget: plan.next(after: following.id), report: nil)
    }
}
