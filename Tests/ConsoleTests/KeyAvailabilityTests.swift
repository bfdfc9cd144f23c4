import Console
import Foundation
import MigrationCore
import Testing

/// Keys that do nothing now are greyed out in the footer, `?` says why, and pressing one
/// refuses with that same reason: one function (``KeyAvailability``) decides all three.
struct KeyAvailabilityTests {
    func reason(_ action: ConsoleAction, _ data: ConsoleData?, state: ConsoleState = ConsoleState()) -> String? {
        KeyAvailability.of(action, state: state, data: data).reason
    }

    /// The footer cells of `item` (e.g. `n next`): the style of its first key's first cell.
    func footerStyle(_ screen: Screen, _ item: String) -> Style? {
        let row = screen.height - 1
        guard let range = screen.lines[row].range(of: " " + item + " ") else { return nil }
        let column = screen.lines[row].distance(from: screen.lines[row].startIndex, to: range.lowerBound) + 1
        return screen[row, column].style
    }

    /// The help overlay's row for the binding labelled `label`, and its style.
    func helpRow(_ screen: Screen, _ label: String) -> (text: String, style: Style)? {
        for (row, line) in screen.lines.enumerated() {
            guard let start = line.range(of: "│ " + label + " ") ?? line.range(of: "| " + label + " ") else { continue }
            let column = line.distance(from: line.startIndex, to: start.lowerBound) + 2
            let rest = line[start.upperBound...]
            let text = String(rest.prefix { $0 != "│" && $0 != "|" }).trimmingCharacters(in: .whitespaces)
            return (text, screen[row, column].style)
        }
        return nil
    }

    @Test func theLastPhaseGreysNextAndBackWithTheirReasons() {
        let data = Fixtures.data(phase: "complete", rollout: 10_000)
        #expect(reason(.advance, data) == "nothing after complete")
        #expect(reason(.rollback, data) == "nothing to roll back from complete")
        #expect(reason(.rolloutUp, data) == "complete is not ramped")
        let screen = frame(data)
        #expect(footerStyle(screen, "n next")?.dim == true && footerStyle(screen, "b back")?.dim == true)
        #expect(footerStyle(screen, "l log")?.dim == false && footerStyle(screen, "q quit")?.dim == false)
        var state = ConsoleState()
        _ = state.handle(.character("n"), data: data)
        guard case .refusal(let sentence, _) = state.dialog?.kind else { Issue.record("n opens the machine's refusal"); return }
        #expect(sentence.contains("'complete' is the last phase"))
    }

    @Test func theFirstPhaseAndThePointOfNoReturnGreyBack() {
        #expect(reason(.rollback, Fixtures.data(phase: "old-only", rollout: 10_000)) == "nothing before old-only")
        let past = Fixtures.data(phase: "new-primary", rollout: 500)
        #expect(reason(.rollback, past) == "past the point of no return")
        #expect(reason(.rolloutDown, past) == "irreversible: it only goes up")
        #expect(reason(.rolloutUp, past) == nil && reason(.advance, past) == nil, "ramping up and the gates' dialog still act")
        var state = ConsoleState()
        _ = state.handle(.character("b"), data: past)
        #expect(state.dialog?.title == "Roll back: past the point of no return", "b opens the refusal with the runbook's way forward")
        let help = frame(past, state: ConsoleState(showsHelp: true))
        #expect(helpRow(help, "b")?.text == "roll back one phase — past the point of no return")
        #expect(helpRow(help, "b")?.style.dim == true && helpRow(help, "n")?.style.dim == false)
    }

    @Test func theLadderEndsGreyTheirHalfOfRampAndRefuseWithTheReason() {
        let top = Fixtures.data(rollout: 10_000)
        #expect(reason(.rolloutUp, top) == "already at 100%" && reason(.rolloutDown, top) == nil)
        var screen = frame(top)
        let footer = screen.lines[23]
        let plus = footer.distance(from: footer.startIndex, to: footer.range(of: "+/- ramp")!.lowerBound)
        #expect(screen[23, plus].style.dim && !screen[23, plus + 2].style.dim, "+ greyed, - not")
        #expect(!screen[23, plus + 4].style.dim, "the word stays while one of its keys acts")
        var state = ConsoleState()
        #expect(state.handle(.character("+"), data: top) == .none)
        #expect(state.dialog == nil && state.message == ConsoleState.Message("+ does nothing now: already at 100%", isError: true))

        let bottom = Fixtures.data(rollout: 0)
        #expect(reason(.rolloutDown, bottom) == "already at 0%")
        screen = frame(bottom)
        #expect(!screen[23, plus].style.dim && screen[23, plus + 2].style.dim, "- greyed, + not")
    }

    @Test func jobsGuardsAndMismatchesGreyTheirKeysWhenThereIsNothingToActOn() {
        let data = Fixtures.data()
        #expect(reason(.toggleJob, data) == "no backfill or verification runs")
        #expect(reason(.jobRatePrompt, data) == "no backfill or verification runs")
        #expect(reason(.clearGuard, data) == "no guard is fired")
        #expect(reason(.mismatches, data) == "no verification has run")
        #expect(reason(.clearGuard, Fixtures.guarded(firings: [Fixtures.firing()])) == nil)
        var state = ConsoleState()
        for key in ["p", "R", "G", "m"] {
            #expect(state.handle(.character(Character(key)), data: data) == .none)
            #expect(state.message?.text.hasPrefix("\(key) does nothing now: ") == true && state.dialog == nil && state.view == .dashboard)
        }
        #expect(reason(.advance, nil) == "nothing read from the database yet")
    }

    @Test func aReadOnlyConsoleGreysEveryChangingKeyInHelpAndLeavesThemOutOfTheFooter() {
        let state = ConsoleState(readOnly: true)
        let screen = frame(Fixtures.data(), state: state)
        #expect(!screen.lines[23].contains("n next") && screen.lines[23].contains("READ-ONLY") && screen.lines[23].contains("q quit"))
        var help = state
        help.showsHelp = true
        let shown = frame(Fixtures.data(), state: help)
        for binding in KeyBinding.bindings(in: .dashboard) {
            let row = helpRow(shown, binding.label)
            #expect(row != nil, "\(binding.label) is in the help")
            if binding.changes {
                #expect(row?.style.dim == true && row?.text.hasSuffix("— read-only console") == true, "\(binding.label): \(row?.text ?? "")")
            }
        }
        var pressed = state
        _ = pressed.handle(.character("n"), data: Fixtures.data())
        #expect(pressed.message?.text == "n does nothing now: read-only console" && pressed.dialog == nil)
    }

    /// Whatever the state, each key's footer cell, help row and the key's own answer agree.
    @Test(arguments: [("read-new", 2500), ("complete", 10_000), ("new-primary", 10_000), ("old-only", 10_000), ("dual-write", 0)])
    func footerHelpAndTheKeyAgree(phase: String, rollout: Int) {
        let data = Fixtures.data(phase: phase, rollout: rollout)
        let screen = frame(data, width: 120, height: 40)
        let help = frame(data, state: ConsoleState(showsHelp: true), width: 120, height: 40)
        for binding in KeyBinding.bindings(in: .dashboard) {
            let availability = KeyAvailability.of(binding.action, state: ConsoleState(), data: data)
            let row = helpRow(help, binding.label)
            #expect(row?.style.dim == !availability.isAvailable, "\(phase) \(binding.label)")
            if let reason = availability.reason { #expect(row?.text.hasSuffix("— " + reason) == true, "\(phase) \(binding.label)") }
            if let word = binding.footer, binding.label.count == 1 {
                let footer = screen.lines[39]
                if let at = footer.range(of: binding.label + " " + word) ?? footer.range(of: binding.label + "/") ?? footer.range(of: "/" + binding.label + " ") {
                    var column = footer.distance(from: footer.startIndex, to: at.lowerBound)
                    if footer[at.lowerBound] == "/" { column += 1 }
                    #expect(screen[39, column].style.dim == !availability.isAvailable, "\(phase) \(binding.label) in the footer")
                } else {
                    Issue.record("\(binding.label) is not in the footer: \(footer)")
                }
            }
            guard let key = binding.keys.first else { continue }
            var state = ConsoleState()
            _ = state.handle(key, data: data)
            if let reason = availability.reason, !availability.opensRefusal {
                #expect(state.message == ConsoleState.Message("\(binding.label) does nothing now: \(reason)", isError: true), "\(phase) \(binding.label)")
            } else if availability.opensRefusal {
                guard case .refusal = state.dialog?.kind else { Issue.record("\(phase) \(binding.label) opens the refusal"); continue }
            } else {
                #expect(state.message?.text.contains("does nothing now") != true, "\(phase) \(binding.label)")
            }
        }
    }

    @Test func theLogViewFooterShowsItsOwnKeysNotTheDashboards() {
        var state = ConsoleState()
        _ = state.handle(.character("l"), data: Fixtures.data())
        let footer = frame(Fixtures.data(), state: state).lines[23]
        #expect(!footer.contains("n next") && !footer.contains("w window") && !footer.contains("l log"))
        #expect(footer.contains("Esc dashboard") && footer.contains("? help") && footer.contains("q quit"), "\(footer)")
        #expect(KeyBinding.binding(for: .character("n"), in: .log)?.action != .advance, "n never advances from the log")
    }

    /// The whole overlay at 80x24: every dashboard key, its state and reason, and the marks' legend.
    @Test func helpAt80x24() {
        var state = ConsoleState()
        state.showsHelp = true
        let screen = frame(Fixtures.data(phase: "new-primary", rollout: 10_000), state: state)
        let text = screen.text
        for binding in KeyBinding.bindings(in: .dashboard) { #expect(helpRow(screen, binding.label) != nil, "\(binding.label)") }
        #expect(text.contains("! irreversible") && text.contains("┅┅ point of no return") && text.contains("! a warning, only notifies"))
        assertSnapshot(screen, named: "help-80x24")
    }
}

extension ConsoleState {
    init(showsHelp: Bool) {
        self.init()
        self.showsHelp = showsHelp
    }
}
