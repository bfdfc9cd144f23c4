import Foundation
import MigrationCore
import Runbook

extension ConsoleState {
    /// Opens the advance dialog from a full gate evaluation (command checks included).
    public mutating func openAdvance(_ report: GateReport?, data: ConsoleData?) {
        busy = nil
        guard let data else { return }
        do {
            let preview = try PhaseMachine.apply(.advance(), to: data.state, in: data.plan, at: data.now, by: "")
            guard let report else { return }
            let title = report.allPass ? "Advance to \(report.target)" : "Advance to \(report.target): gates not passed"
            dialog = Dialog(kind: .advance(report, preview: preview, version: data.state.version, confirmed: false), title: title)
        } catch {
            dialog = Dialog(kind: .refusal(RefusalAdvice.sentence(error), detail: []), title: "Advance: refused")
        }
    }

    /// Records the outcome of a ``Effect/perform(_:expectVersion:reason:confirmation:)``: closes the
    /// dialog on success, keeps it open with the sentence on failure.
    public mutating func finish(_ result: Result<StateChange, ControlError>) {
        switch result {
        case .success(let change):
            dialog = nil
            let after = change.after
            message = Message(change.before.phase == after.phase
                ? "rollout of \(after.phase) is now \(after.rollout) (version \(after.version))"
                : "now in \(after.phase) at \(after.rollout) (version \(after.version))")
        case .failure(.heldByGuard(let holds)):
            dialog = heldRefusal(holds, title: dialog?.title ?? "Change")
        case .failure(let error):
            dialog?.error = RefusalAdvice.sentence(error)
        }
    }

    /// Records the outcome of ``Effect/clearGuard(_:reason:)``: closes the dialog once the guard is
    /// cleared; keeps it open with the sentence when it was not fired any more or the store refused.
    public mutating func finishClear(_ firing: GuardFiring, _ result: Result<GuardFiring?, ControlStoreError>) {
        switch result {
        case .success(let cleared?):
            dialog = nil
            message = Message("cleared guard '\(Format.clip(cleared.name, 32))' (fired \(Format.moment(cleared.firedAt, now: cleared.clearedAt ?? cleared.firedAt)) in \(Format.clip(cleared.phase, 24)))")
        case .success(nil):
            dialog?.error = Self.notFired(firing)
        case .failure(let error):
            dialog?.error = error.description
        }
    }

    static func notFired(_ firing: GuardFiring) -> String {
        "the guard '\(Format.clip(firing.name, 32))' is no longer fired as it was when this dialog opened (cleared, or fired again since); nothing changed. Press Esc and look again"
    }

    /// Records the outcome of a ``Effect/changeJob(_:_:)``.
    public mutating func finishJobChange(_ job: Job, _ change: JobControlChange, _ result: Result<Void, ControlStoreError>) {
        switch result {
        case .success:
            dialog = nil
            message = Message("\(job.rawValue) \(change.summary) (audited)")
        case .failure(let error):
            if dialog != nil { dialog?.error = error.description } else { message = Message(error.description, isError: true) }
        }
    }

    /// Opens the clear-guard dialog: straight to the reason when one guard is fired, a choice first
    /// when several are; refused in a sentence when none is.
    mutating func openClearGuard(_ data: ConsoleData?) {
        guard let data else { return }
        let fired = data.guardFirings
        guard let first = fired.first else {
            message = Message("no guard is fired: nothing to clear", isError: true)
            return
        }
        dialog = Dialog(kind: .clearGuard(fired, selected: 0, chosen: fired.count == 1),
                        title: fired.count == 1 ? "Clear guard \(Format.clip(first.name, 40))" : "Clear a fired guard (\(fired.count) fired)")
    }

    /// Opens the refusal a fired guard gives a move forward to `preview`; false when none holds it.
    mutating func refuseHeld(_ preview: MigrationState, title: String, data: ConsoleData) -> Bool {
        let holds = GuardSummary.holding(data.guardFirings, from: data.state, to: preview, in: data.plan)
        guard !holds.isEmpty else { return false }
        dialog = heldRefusal(holds, title: title)
        return true
    }

    /// The refusal of a move a fired guard holds: the store's sentence, and the key that clears it.
    func heldRefusal(_ holds: [GuardFiring], title: String) -> Dialog {
        Dialog(kind: .refusal(ControlError.heldByGuard(holds).description,
                              detail: ["\(KeyBinding.label(for: .clearGuard)) clears a fired guard here: choose it, then type why it is safe to go on (audited)."]),
               title: "\(title): held by a guard")
    }

    /// Opens the confirmation of `request`, or the refusal the phase machine gives.
    mutating func openChange(_ request: PhaseRequest, title: String, data: ConsoleData?) {
        guard let data else { return }
        do {
            let preview = try PhaseMachine.apply(request, to: data.state, in: data.plan, at: data.now, by: "")
            if preview == data.state {
                message = Message("nothing to change: the rollout is already \(data.state.rollout)")
                return
            }
            if refuseHeld(preview, title: title, data: data) { return }
            dialog = Dialog(kind: .change(request, preview: preview, version: data.state.version), title: title)
            offerPreviousReason(for: request, in: data.state.phase)
        } catch {
            switch error {
            case .pastPointOfNoReturn:
                dialog = Dialog(kind: .refusal(RefusalAdvice.sentence(error), detail: data.runbook?.section(containing: "reconcil") ?? []),
                                title: "\(title): past the point of no return")
            case .strandsCopies where !readOnly:
                // Offered as the change it is, in red, with the harm it does: a reason overrides it.
                guard let forced = try? PhaseMachine.apply(request, to: data.state, in: data.plan, at: data.now, by: "", overriding: true) else { return }
                var change = Dialog(kind: .change(request, preview: forced, version: data.state.version), title: "\(title): leaves stale copies")
                change.overriding = RefusalAdvice.sentence(error)
                dialog = change
            case .rolloutNotFull:
                // Say what the next phase would still want, so the ramp is planned with its gates in view.
                let gates = GateLines.blocking(data.gates?.results ?? []).map { result in
                    "\(result.status == .fail ? "fail" : "unknown"): \(result.label.terminalSafe): \(GateLines.figure(result, now: data.now))"
                        + (result.overridable ? "" : " (no override)")
                }
                let detail = gates.isEmpty ? [] : ["The gates of \(data.nextPhase?.id.terminalSafe ?? "the next phase") that do not pass yet:"] + gates
                dialog = Dialog(kind: .refusal(RefusalAdvice.sentence(error), detail: detail), title: "\(title): refused")
            default:
                dialog = Dialog(kind: .refusal(RefusalAdvice.sentence(error), detail: []), title: "\(title): refused")
            }
        }
    }

    mutating func handleDialog(_ key: Key, data: ConsoleData?) -> Effect {
        // A refusal offers the clear-guard key when a guard is fired (the refusal may be its doing).
        if case .refusal = dialog?.kind, !readOnly, data?.guardFirings.isEmpty == false,
           KeyBinding.binding(for: key)?.action == .clearGuard {
            self.dialog = nil
            return perform(.clearGuard, data: data)
        }
        guard var dialog else { return .none }
        defer { if self.dialog != nil { self.dialog = dialog } }
        if key == DialogKeys.override, case .advance(let report, _, _, _) = dialog.kind, !report.allPass, dialog.overriding == nil {
            guard !readOnly, report.blocking.allSatisfy(\.overridable) else {
                dialog.error = RefusalAdvice.gateAdvice(report, readOnly: readOnly).joined(separator: " ")
                return .none
            }
            let count = report.blocking.count
            dialog.overriding = "You override \(count) failing gate\(count == 1 ? "" : "s"): "
                + report.blocking.map { "'\($0.label)'" }.joined(separator: ", ") + "."
            dialog.error = nil
            return .none
        }
        if case .clearGuard(let firings, let selected, chosen: false) = dialog.kind, let moved = choose(key, selected, among: firings.count) {
            dialog.kind = .clearGuard(firings, selected: moved, chosen: false)
            dialog.error = nil
            return .none
        }
        if case .confirmQuit = dialog.kind {
            self.dialog = nil
            if key == .character("y") || key == .character("Y") { return .quit }
            message = Message("still running; nothing stopped")
            return .none
        }
        if dialog.input.apply(key) {
            dialog.error = nil
            return .none
        }
        switch key {
        case .escape:
            self.dialog = nil
            message = Message("cancelled; nothing changed")
            return .none
        case .enter:
            return confirm(&dialog, data: data)
        default:
            return .none
        }
    }

    /// The choice a key makes in a list of `count` (arrows, j/k, or a number 1-9); nil for other keys.
    func choose(_ key: Key, _ selected: Int, among count: Int) -> Int? {
        switch key {
        case .up, .character("k"): return max(0, selected - 1)
        case .down, .character("j"): return min(count - 1, selected + 1)
        case .character(let character):
            guard let number = character.wholeNumberValue, number >= 1, number <= min(9, count) else { return selected }
            return number - 1
        default: return nil
        }
    }

    mutating func confirm(_ dialog: inout Dialog, data: ConsoleData?) -> Effect {
        switch dialog.kind {
        case .clearGuard(let firings, let selected, let chosen):
            guard let firing = dialog.guardFiring else {
                self.dialog = nil
                return .none
            }
            if let data, !data.guardFirings.contains(where: { $0.id == firing.id }) {
                dialog.error = Self.notFired(firing)
                return .none
            }
            if !chosen {
                dialog.kind = .clearGuard(firings, selected: selected, chosen: true)
                dialog.title = "Clear guard \(Format.clip(firing.name, 40))"
                dialog.input = LineEditor()
                return .none
            }
            guard let reason = reason(&dialog) else { return .none }
            return .clearGuard(firing, reason: reason)
        case .refusal:
            self.dialog = nil
            return .none
        case .confirmQuit:
            return .none  // answered by any key in handleDialog
        case .jobRatePrompt(let job):
            guard let rate = Int64(dialog.input.text.trimmingCharacters(in: .whitespaces)) else {
                dialog.error = "type a whole number of rows a second (0 lifts the limit)"
                return .none
            }
            if let problem = JobControlChange.rate(rate).problem {
                dialog.error = problem
                return .none
            }
            return .changeJob(job, .rate(rate))
        case .rolloutPrompt:
            do {
                let rollout = try Rollout(percent: dialog.input.text)
                self.dialog = nil
                openChange(.setRollout(rollout), title: "Set rollout", data: data)
                if let opened = self.dialog { dialog = opened }
            } catch {
                dialog.error = error.description
            }
            return .none
        case .advance(let report, let preview, let version, let confirmed):
            guard report.allPass || dialog.overriding != nil else {
                self.dialog = nil
                message = Message("advance refused: \(report.blocking.count) gate(s) of \(report.target) did not pass; nothing changed", isError: true)
                return .none
            }
            if let stale = staleness(version, data) {
                dialog.error = stale
                return .none
            }
            if report.irreversible, !confirmed {
                // A typo keeps the dialog open, the typed text editable, with what was wanted.
                guard dialog.input.text == report.target else {
                    dialog.error = Self.mistyped(dialog.input.text, want: report.target)
                    return .none
                }
                dialog.kind = .advance(report, preview: preview, version: version, confirmed: true)
                dialog.input = LineEditor()
                return .none
            }
            guard let reason = reason(&dialog) else { return .none }
            return .perform(.advance(to: report.target), expectVersion: version, reason: reason,
                            confirmation: report.irreversible ? report.target : nil, checked: report, force: dialog.overriding != nil)
        case .change(let request, _, let version):
            if let stale = staleness(version, data) {
                dialog.error = stale
                return .none
            }
            guard let reason = reason(&dialog) else { return .none }
            if case .setRollout = request, let data { lastRampReason = RampReason(phase: data.state.phase, text: reason) }
            return .perform(request, expectVersion: version, reason: reason, confirmation: nil, force: dialog.overriding != nil)
        }
    }

    func staleness(_ version: Int64, _ data: ConsoleData?) -> String? {
        guard let data, data.state.version != version else { return nil }
        return "the state changed since this dialog opened (version \(version) → \(data.state.version)); press Esc and look again"
    }

    /// Opens the question `q` asks when quitting ends more than the console (``quitQuestion``).
    mutating func askToQuit() {
        guard let quitQuestion else { return }
        dialog = Dialog(kind: .confirmQuit(quitQuestion), title: "Quit?")
    }

    /// The sentence for a typed confirmation that is not the phase's id.
    static func mistyped(_ typed: String, want target: String) -> String {
        let shown = typed.isEmpty ? "nothing" : "'\(Format.clip(typed, 40))'"
        return "you typed \(shown), not '\(target)'; nothing changed. Type \(target) exactly (Ctrl+U clears the line), or Esc to cancel"
    }

    /// Fills the reason of a ramp step in with the previous ramp step's, selected, when it was
    /// typed in the same phase: Enter reuses it, typing replaces it, a move edits it.
    mutating func offerPreviousReason(for request: PhaseRequest, in phase: String) {
        guard case .setRollout = request, let previous = lastRampReason, previous.phase == phase else { return }
        dialog?.input = LineEditor(previous.text, selected: true)
        dialog?.offersPreviousReason = true
    }

    func reason(_ dialog: inout Dialog) -> String? {
        let reason = dialog.input.text.trimmingCharacters(in: .whitespaces)
        if reason.isEmpty {
            dialog.error = "type a reason first: it goes into the audit log"
            return nil
        }
        if let problem = Limits.reasonProblem(reason) {
            dialog.error = problem
            return nil
        }
        return reason
    }

}
