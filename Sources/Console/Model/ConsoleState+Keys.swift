import Foundation
import MigrationCore
import Runbook

extension ConsoleState {
    /// Handles one key against the data on screen and says what the session must do.
    public mutating func handle(_ key: Key, data: ConsoleData?) -> Effect {
        if key == .resize { return .none }
        if key == .hangup { return .quit }
        if key == .redraw { return .repaint }
        if busy != nil {
            switch key {
            case .character("q") where quitQuestion != nil:
                busy = nil
                askToQuit()
                return .cancelCheck
            case .character("q"): return .quit
            case .escape:
                busy = nil
                message = Message("gate check cancelled; nothing changed")
                return .cancelCheck
            default:
                message = Message("gate checks are running; Esc cancels, q quits", isError: true)
                return .none
            }
        }
        if dialog != nil { return handleDialog(key, data: data) }
        if showsHelp {
            if [.escape, .character("?"), .character("h"), .character("q"), .enter].contains(key) { showsHelp = false }
            return .none
        }
        if view == .runbook, let effect = handleRunbook(key, data: data) { return effect }
        if let effect = handleList(key, data: data) { return effect }
        guard let binding = KeyBinding.binding(for: key, in: view) else { return .none }
        // The footer and help grey the key out from the same function, with the same reason.
        let availability = KeyAvailability.of(binding.action, state: self, data: data)
        if let reason = availability.reason, !availability.opensRefusal {
            message = Message("\(binding.label) does nothing now: \(reason)", isError: true)
            return .none
        }
        message = nil
        return perform(binding.action, data: data)
    }

    mutating func perform(_ action: ConsoleAction, data: ConsoleData?) -> Effect {
        switch action {
        case .quit:
            guard quitQuestion != nil else { return .quit }
            askToQuit()
        case .help: showsHelp = true
        case .log:
            view = .log
            log = LogCursor(terminal: log)
        case .runbook:
            view = .runbook
            runbookCursor = 0
            runbookShowsNext = false
        case .runbookMove, .runbookSection, .tick, .runbookSwitch: break // the runbook view's own (handleRunbook)
        case .dashboard: view = .dashboard
        case .redraw: return .repaint
        case .scroll: break  // the list's own keys have moved it
        case .logDetails, .search, .nextMatch, .previousMatch: break  // the list's own (handleList)
        case .cycleWindow:
            window = window.next
            return .reload
        case .advance:
            guard let data else { return .none }
            if data.nextPhase == nil {
                dialog = Dialog(kind: .refusal(TransitionRefusal.atFinalPhase(data.state.phase).description, detail: []), title: "Advance: refused")
                return .none
            }
            if data.state.rollout != .full {
                openChange(.advance(), title: "Advance", data: data)
                return .none
            }
            if let preview = try? PhaseMachine.apply(.advance(), to: data.state, in: data.plan, at: data.now, by: ""),
               refuseHeld(preview, title: "Advance", data: data) {
                return .none
            }
            busy = "running the gates of \(data.nextPhase?.id ?? "the next phase")… (Esc cancels)"
            return .checkGates
        case .rollback: openChange(.rollback(), title: "Roll back", data: data)
        case .rolloutUp, .rolloutDown:
            guard let data else { return .none }
            guard let rollout = action == .rolloutUp ? data.state.rollout.stepUp : data.state.rollout.stepDown else {
                message = Message("the rollout is already at the \(action == .rolloutUp ? "top" : "bottom") of the ladder", isError: true)
                return .none
            }
            openChange(.setRollout(rollout), title: "Set rollout", data: data)
        case .rolloutPrompt:
            dialog = Dialog(kind: .rolloutPrompt, title: "Set rollout")
        case .clearGuard: openClearGuard(data)
        case .mismatches:
            view = .mismatches
            log = LogCursor(terminal: log)
        case .toggleJob:
            guard let job = data?.steerableJob else {
                message = Message(Self.noJob, isError: true)
                return .none
            }
            return .changeJob(job.job, job.control.paused ? .resume : .pause)
        case .jobRatePrompt:
            guard let job = data?.steerableJob else {
                message = Message(Self.noJob, isError: true)
                return .none
            }
            dialog = Dialog(kind: .jobRatePrompt(job.job), title: "Rate limit of the \(job.job.rawValue)")
        }
        return .none
    }

    static let noJob = "no backfill or verification runs"
}
