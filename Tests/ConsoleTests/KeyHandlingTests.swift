import Console
import MigrationCore
import Testing

struct KeyHandlingTests {
    func press(_ keys: [Key], _ state: inout ConsoleState, data: ConsoleData = Fixtures.data()) -> [Effect] {
        keys.map { state.handle($0, data: data) }
    }

    func typing(_ text: String) -> [Key] { text.map { Key.character($0) } }

    @Test func advanceBelowFullRolloutOpensTheRefusal() {
        var state = ConsoleState()
        _ = press([.character("n")], &state)
        guard case .refusal(let sentence, _) = state.dialog?.kind else { Issue.record("no refusal"); return }
        #expect(sentence.contains("needs 100%"))
        #expect(frame(Fixtures.data(), state: state).text.contains("Nothing was changed"))
        _ = press([.enter], &state)
        #expect(state.dialog == nil)
    }

    @Test func rampingShowsTheChangeAndNeedsAReason() throws {
        var state = ConsoleState()
        _ = press([.character("+")], &state)
        let text = frame(Fixtures.data(), state: state).text
        #expect(text.contains("rollout  25% → 50%") && text.contains("version  7 → 8") && text.contains("Reason"))
        #expect(press([.enter], &state) == [.none])
        #expect(state.dialog?.error?.contains("type a reason") == true)
        let effects = press(typing("hot keys migrated") + [.enter], &state)
        #expect(effects.last == .perform(.setRollout(try Rollout(percent: "50")), expectVersion: 7, reason: "hot keys migrated", confirmation: nil))
    }

    @Test func minusStepsDownTheLadder() throws {
        var state = ConsoleState()
        _ = press([.character("-")] + typing("too many misses") + [.enter], &state)
        #expect(state.dialog?.kind == .change(.setRollout(try Rollout(percent: "10")), preview: state.dialog!.preview!, version: 7))
    }

    @Test func percentPromptAcceptsAnyRolloutAndRejectsNonsense() throws {
        var state = ConsoleState()
        _ = press([.character("%")] + typing("150") + [.enter], &state)
        #expect(state.dialog?.error?.contains("outside 0–100%") == true)
        _ = press([.backspace, .backspace, .backspace] + typing("33.3") + [.enter], &state)
        guard case .change(.setRollout(let rollout), _, _) = state.dialog?.kind else { Issue.record("no change dialog"); return }
        #expect(rollout.basisPoints == 3330)
    }

    @Test func escapeCancelsWithoutAnEffect() {
        var state = ConsoleState()
        let effects = press([.character("+")] + typing("x") + [.escape], &state)
        #expect(state.dialog == nil && effects.allSatisfy { $0 == .none })
        #expect(state.message?.text.contains("nothing changed") == true)
    }

    @Test func keysTypedIntoADialogDoNotTriggerBindings() {
        var state = ConsoleState()
        let effects = press([.character("+")] + typing("quit now") + [.character("q")], &state)
        #expect(!effects.contains(.quit) && state.dialog?.input.text == "quit nowq")
    }

    @Test func aStateThatChangedUnderTheDialogIsRefused() {
        var state = ConsoleState()
        _ = press([.character("+")] + typing("ramp"), &state)
        let moved = Fixtures.data(version: 8)
        #expect(frame(moved, state: state).text.contains("The state changed since this dialog opened"))
        #expect(state.handle(.enter, data: moved) == .none)
        #expect(state.dialog?.error?.contains("version 7 → 8") == true)
    }

    @Test func rollbackPastThePointOfNoReturnExplainsItselfWithTheRunbook() {
        var state = ConsoleState()
        _ = press([.character("b")], &state, data: Fixtures.data(phase: "new-primary", rollout: 500))
        #expect(state.dialog?.title == "Roll back: past the point of no return")
        let text = frame(Fixtures.data(phase: "new-primary", rollout: 500), state: state).text
        #expect(text.contains("irreversible") && text.contains("Reconciliation") && text.contains("Fix forward."))
    }

    func passingReport(irreversible: Bool = true) -> GateReport {
        GateReport(target: "new-primary", irreversible: irreversible, results: [
            GateResult(kind: "soak", label: "soak in read-new", status: .pass, observed: "8d", bound: "≥ 7d", sentence: "ok", overridable: true),
        ])
    }

    @Test func advanceAtFullRolloutAsksForTheGatesFirst() {
        var state = ConsoleState()
        #expect(press([.character("n")], &state, data: Fixtures.data(phase: "read-new", rollout: 10_000)) == [.checkGates])
    }

    @Test func thePointOfNoReturnNeedsTheTypedPhaseIdThenAReason() {
        var state = ConsoleState()
        let ready = Fixtures.data(phase: "read-new", rollout: 10_000)
        state.openAdvance(passingReport(), data: ready)
        let text = frame(ready, state: state).text
        #expect(text.contains("phase    read-new → new-primary") && text.contains("POINT OF NO RETURN") && text.contains("Type new-primary to confirm"))
        let effects = press(typing("new-primary") + [.enter] + typing("all gates green") + [.enter], &state, data: ready)
        #expect(effects.last == .perform(.advance(to: "new-primary"), expectVersion: 7, reason: "all gates green", confirmation: "new-primary",
                                           checked: passingReport()))
    }

    @Test func aWrongConfirmationWordRefusesAndChangesNothing() {
        var state = ConsoleState()
        let ready = Fixtures.data(phase: "read-new", rollout: 10_000)
        state.openAdvance(passingReport(), data: ready)
        let effects = press(typing("new-primray") + [.enter], &state, data: ready)
        #expect(effects.allSatisfy { $0 == .none } && state.dialog != nil, "the dialog stays open with the error")
        #expect(state.dialog?.error?.contains("nothing changed") == true)
    }

    @Test func failingGatesRefuseInTheConsole() {
        var state = ConsoleState()
        let ready = Fixtures.data(phase: "read-new", rollout: 10_000)
        state.openAdvance(Fixtures.data().gates, data: ready)
        let text = frame(ready, state: state).text
        #expect(text.contains("gates not passed") && text.contains("✗ soak in read-new: 2h (want ≥ 7d)"), "\(text)")
        #expect(text.contains("F overrides them") && !text.contains("--force"), "the console offers its own key, not a CLI flag: \(text)")
        #expect(press(typing("x") + [.enter], &state, data: ready).allSatisfy { $0 == .none })
        #expect(state.dialog == nil && state.message?.isError == true)
    }

    @Test func tickingInTheRunbookView() {
        var state = ConsoleState()
        _ = press([.character("r")], &state)
        #expect(press([.character(" ")], &state) == [.none], "the cursor starts on the heading")
        _ = press([.tab, .down], &state)
        #expect(press([.character(" ")], &state) == [.tick(phase: "read-new", item: 1, ticked: false)], "item 1 is ticked by bo, so Space unticks it")
        _ = press([.down], &state)
        #expect(press([.character(" ")], &state) == [.tick(phase: "read-new", item: 2, ticked: true)])
    }

    @Test func readOnlyRefusesEveryChangeKey() {
        var state = ConsoleState(readOnly: true)
        for key in ["n", "b", "+", "-", "%"] {
            #expect(state.handle(.character(Character(key)), data: Fixtures.data()) == .none)
            #expect(state.dialog == nil && state.message?.isError == true, "\(key)")
        }
    }

    @Test func viewsHelpAndQuit() {
        var state = ConsoleState()
        #expect(press([.character("?")], &state) == [.none] && state.showsHelp)
        #expect(press([.character("q")], &state) == [.none] && !state.showsHelp, "q closes help first")
        _ = press([.character("l")], &state)
        #expect(state.view == .log)
        _ = press([.down, .down, .up], &state)
        #expect(state.log.selected == 1)
        _ = press([.escape], &state)
        #expect(state.view == .dashboard)
        #expect(press([.character("w")], &state) == [.reload] && state.window == .sixHours)
        #expect(press([.redraw], &state) == [.repaint])
        #expect(press([.character("q")], &state) == [.quit])
    }
}

extension Dialog {
    var preview: MigrationState? {
        if case .change(_, let preview, _) = kind { return preview }
        return nil
    }
}
