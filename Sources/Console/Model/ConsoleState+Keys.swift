import Foundation
import MigrationCore

extension ConsoleState {
    /// Handles one key against the data on screen and says what the session must do.
    public mutating func handle(_ key: Key, data: ConsoleData?) -> Effect {
        if key == .resize { return .none }
        if key == .redraw { return .repaint }
        if dialog != nil { return handleDialog(key, data: data) }
        if showsHelp {
            if [.escape, .character("?"), .character("h"), .character("q"), .enter].contains(key) { showsHelp = false }
            return .none
        }
        if scroll(key, data: data) { return .none }
        if key == .escape {
            if view != .dashboard { view = .dashboard }
            return .none
        }
        guard let binding = KeyBinding.binding(for: key) else { return .none }
        if binding.changes, readOnly {
            message = Message("read-only console: '\(binding.label)' is disabled (started with --read-only)", isError: true)
            return .none
        }
        message = nil
        return perform(binding.action, data: data)
    }

    /// Records the outcome of a ``Effect/perform(_:expectVersion:reason:)``: closes the
    /// dialog on success, keeps it open with the sentence on failure.
    public mutating func finish(_ result: Result<StateChange, ControlError>) {
        switch result {
        case .success(let change):
            dialog = nil
            let after = change.after
            message = Message(change.before.phase == after.phase
                ? "rollout of \(after.phase) is now \(after.rollout) (version \(after.version))"
                : "now in \(after.phase) at \(after.rollout) (version \(after.version))")
        case .failure(let error):
            dialog?.error = error.description
        }
    }

    private mutating func perform(_ action: ConsoleAction, data: ConsoleData?) -> Effect {
        switch action {
        case .quit: return .quit
        case .help: showsHelp = true
        case .log: view = .log
        case .runbook:
            view = .runbook
            runbookScroll = 0
        case .dashboard: view = .dashboard
        case .redraw: return .repaint
        case .cycleWindow:
            window = window.next
            return .reload
        case .advance: openChange(.advance(), title: "Advance", data: data)
        case .rollback: openChange(.rollback(), title: "Roll back", data: data)
        case .rolloutUp, .rolloutDown:
            guard let data else { return .none }
            let current = data.state.rollout.basisPoints
            let step = action == .rolloutUp
                ? Self.ladder.first { $0 > current }
                : Self.ladder.last { $0 < current }
            guard let step, let rollout = try? Rollout(basisPoints: step) else {
                message = Message("the rollout is already at the \(action == .rolloutUp ? "top" : "bottom") of the ladder", isError: true)
                return .none
            }
            openChange(.setRollout(rollout), title: "Set rollout", data: data)
        case .rolloutPrompt:
            dialog = Dialog(kind: .rolloutPrompt, title: "Set rollout")
        }
        return .none
    }

    /// Opens the confirmation of `request`, or the refusal the phase machine gives.
    private mutating func openChange(_ request: PhaseRequest, title: String, data: ConsoleData?) {
        guard let data else { return }
        do {
            let preview = try PhaseMachine.apply(request, to: data.state, in: data.plan, at: data.now, by: "")
            if preview == data.state {
                message = Message("nothing to change: the rollout is already \(data.state.rollout)")
                return
            }
            dialog = Dialog(kind: .change(request, preview: preview, version: data.state.version), title: title)
        } catch {
            var refusal = Dialog(kind: .refusal(error.description), title: "\(title): refused")
            if case .pastPointOfNoReturn = error { refusal.title = "\(title): past the point of no return" }
            dialog = refusal
        }
    }

    private mutating func handleDialog(_ key: Key, data: ConsoleData?) -> Effect {
        guard var dialog else { return .none }
        defer { if self.dialog != nil { self.dialog = dialog } }
        switch key {
        case .escape:
            self.dialog = nil
            message = Message("cancelled; nothing changed")
            return .none
        case .backspace:
            if !dialog.input.isEmpty { dialog.input.removeLast() }
            dialog.error = nil
            return .none
        case .character(let character):
            if dialog.input.count < 200, !character.isNewline { dialog.input.append(character) }
            dialog.error = nil
            return .none
        case .enter:
            return confirm(&dialog, data: data)
        default:
            return .none
        }
    }

    private mutating func confirm(_ dialog: inout Dialog, data: ConsoleData?) -> Effect {
        switch dialog.kind {
        case .refusal:
            self.dialog = nil
            return .none
        case .rolloutPrompt:
            do {
                let rollout = try Rollout(percent: dialog.input)
                self.dialog = nil
                openChange(.setRollout(rollout), title: "Set rollout", data: data)
                if self.dialog != nil { dialog = self.dialog! }
            } catch {
                dialog.error = error.description
            }
            return .none
        case .change(let request, _, let version):
            if let data, data.state.version != version {
                dialog.error = "the state changed since this dialog opened (version \(version) → \(data.state.version)); press Esc and look again"
                return .none
            }
            let reason = dialog.input.trimmingCharacters(in: .whitespaces)
            guard !reason.isEmpty else {
                dialog.error = "type a reason first: it goes into the audit log"
                return .none
            }
            return .perform(request, expectVersion: version, reason: reason)
        }
    }

    /// Scroll keys of the log and runbook views.
    private mutating func scroll(_ key: Key, data: ConsoleData?) -> Bool {
        let delta: Int
        switch key {
        case .up, .character("k"): delta = -1
        case .down, .character("j"): delta = 1
        case .pageUp: delta = -10
        case .pageDown, .character(" "): delta = 10
        case .home: delta = Int.min / 2
        case .end: delta = Int.max / 2
        default: return false
        }
        switch view {
        case .dashboard: return false
        case .log:
            let limit = max(0, (data?.recentEvents.count ?? 0) - 1)
            logScroll = min(max(0, logScroll + delta), limit)
        case .runbook:
            let limit = max(0, (data?.runbook?.split(separator: "\n", omittingEmptySubsequences: false).count ?? 0) - 1)
            runbookScroll = min(max(0, runbookScroll + delta), limit)
        }
        return true
    }
}
