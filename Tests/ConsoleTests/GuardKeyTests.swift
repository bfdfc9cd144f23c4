import Console
import Foundation
import MigrationCore
import Testing

/// `G` clears a fired guard; a move a guard holds is refused up front with the key to clear it.
struct GuardKeyTests {
    let hold = Fixtures.firing()
    let notify = Fixtures.firing("replication-lag", action: "notify", id: 2, minutesAgo: 5, observed: "31", bound: "≤ 10")

    func press(_ keys: [Key], _ state: inout ConsoleState, data: ConsoleData) -> [Effect] {
        keys.map { state.handle($0, data: data) }
    }

    func typing(_ text: String) -> [Key] { text.map { Key.character($0) } }

    @Test func nothingFiredIsRefusedInASentence() {
        var state = ConsoleState()
        #expect(press([.character("G")], &state, data: Fixtures.guarded()) == [.none])
        #expect(state.dialog == nil && state.message == ConsoleState.Message("G does nothing now: no guard is fired", isError: true))
    }

    @Test func oneFiredGoesStraightToTheReasonWhichIsRequired() {
        var state = ConsoleState()
        let data = Fixtures.guarded(firings: [hold])
        _ = press([.character("G")], &state, data: data)
        #expect(state.dialog?.title == "Clear guard new-store-errors")
        let text = frame(data, state: state).text
        #expect(text.contains("guard    new-store-errors (hold) in read-new") && text.contains("saw      0.05 (50/1000), wanted ≤ 0.01"))
        #expect(text.contains("fired    08:40 by guard@db1") && text.contains("the guard fires again"))
        #expect(press([.enter], &state, data: data) == [.none])
        #expect(state.dialog?.error == "type a reason first: it goes into the audit log")
        let effects = press(typing("disk was full; fixed") + [.enter], &state, data: data)
        #expect(effects.last == .clearGuard(hold, reason: "disk was full; fixed"))
    }

    @Test func severalFiredAreChosenByArrowOrNumber() {
        let data = Fixtures.guarded(firings: [hold, notify])
        var state = ConsoleState()
        _ = press([.character("G")], &state, data: data)
        #expect(state.dialog?.title == "Clear a fired guard (2 fired)")
        let screen = frame(data, state: state)
        assertSnapshot(screen, named: "guard-clear-choose-80x24")
        #expect(screen.lines[23].contains("↑↓ 1-9 choose  Enter confirm  Esc cancel"))
        _ = press([.down, .down, .character("x")], &state, data: data)
        #expect(state.dialog?.guardFiring == notify && state.dialog?.input.text == "", "letters choose nothing and are not typed")
        _ = press([.up, .character("2"), .enter], &state, data: data)
        #expect(state.dialog?.title == "Clear guard replication-lag")
        #expect(frame(data, state: state).text.contains("Clearing lets this notify guard fire again"))
        let effects = press(typing("lag is back to normal") + [.enter], &state, data: data)
        #expect(effects.last == .clearGuard(notify, reason: "lag is back to normal"))
        var numbered = ConsoleState()
        let byNumber = press([.character("G"), .character("2"), .character("1"), .enter] + typing("x") + [.enter], &numbered, data: data)
        #expect(byNumber.last == .clearGuard(hold, reason: "x"))
    }

    @Test func aFiringClearedMeanwhileIsRefusedAsAStaleDialog() {
        var state = ConsoleState()
        _ = press([.character("G")] + typing("fixed"), &state, data: Fixtures.guarded(firings: [hold]))
        // Someone cleared it, and it fired again: a new firing of the same guard.
        let refired = Fixtures.guarded(firings: [Fixtures.firing(id: 9, minutesAgo: 1)])
        #expect(frame(refired, state: state).text.contains("This firing is not open any more"))
        #expect(press([.enter], &state, data: refired) == [.none])
        #expect(state.dialog?.error?.contains("no longer fired as it was when this dialog opened") == true)
        #expect(press([.enter], &state, data: Fixtures.guarded()) == [.none], "cleared, and nothing fired now")
        _ = press([.escape], &state, data: refired)
        #expect(state.dialog == nil && state.message?.text.contains("nothing changed") == true)
    }

    @Test func readOnlyRefusesTheKey() {
        var state = ConsoleState(readOnly: true)
        #expect(press([.character("G")], &state, data: Fixtures.guarded(firings: [hold])) == [.none])
        #expect(state.dialog == nil && state.message?.text == "G does nothing now: read-only console")
    }

    @Test func aRampAGuardHoldsIsRefusedUpFrontWithTheKeyToClearIt() {
        let data = Fixtures.guarded(firings: [hold])
        for key in ["+", "%"] {
            var state = ConsoleState()
            _ = press([.character(Character(key))] + (key == "%" ? typing("30") + [.enter] : []), &state, data: data)
            #expect(state.dialog?.title == "Set rollout: held by a guard", "\(key)")
            guard case .refusal(let sentence, let detail) = state.dialog?.kind else { Issue.record("no refusal"); continue }
            #expect(sentence == ControlError.heldByGuard([hold]).description)
            #expect(sentence.contains("'new-store-errors'") && sentence.contains("migctl guard clear new-store-errors --reason TEXT"))
            #expect(detail.first?.hasPrefix("G clears a fired guard here") == true)
            // G from the refusal opens the clear dialog at once.
            _ = press([.character("G")], &state, data: data)
            #expect(state.dialog?.title == "Clear guard new-store-errors")
        }
        // Down is not forward: it is not held.
        var down = ConsoleState()
        _ = press([.character("-")], &down, data: data)
        guard case .change = down.dialog?.kind else { Issue.record("ramping down is not held"); return }
        // A notify firing holds nothing.
        var up = ConsoleState()
        _ = press([.character("+")], &up, data: Fixtures.guarded(firings: [notify]))
        guard case .change = up.dialog?.kind else { Issue.record("a notify guard does not hold"); return }
    }

    @Test func anAdvanceAGuardHoldsIsRefusedBeforeAnyGateRuns() {
        var state = ConsoleState()
        let effects = press([.character("n")], &state, data: Fixtures.guarded(firings: [hold], rollout: 10_000))
        #expect(effects == [.none], "no gate program runs for a move that is held anyway")
        #expect(state.dialog?.title == "Advance: held by a guard")
        #expect(frame(Fixtures.guarded(firings: [hold], rollout: 10_000), state: state).text.contains("G clears a fired guard here"))
    }

    @Test func aHoldThatFiredWhileTheDialogWasOpenTurnsItIntoTheRefusal() {
        var state = ConsoleState()
        let data = Fixtures.guarded()
        _ = press([.character("+")] + typing("ramp") + [.enter], &state, data: data)
        state.finish(.failure(.heldByGuard([hold])))
        #expect(state.dialog?.title == "Set rollout: held by a guard")
        _ = press([.character("G")], &state, data: Fixtures.guarded(firings: [hold]))
        #expect(state.dialog?.title == "Clear guard new-store-errors")
    }

    @Test func theOutcomeOfAClear() {
        var state = ConsoleState()
        let data = Fixtures.guarded(firings: [hold])
        _ = press([.character("G")] + typing("fixed") + [.enter], &state, data: data)
        var cleared = hold
        (cleared.clearedAt, cleared.clearedBy, cleared.clearReason) = (Fixtures.now, "ana", "guard 'new-store-errors': fixed")
        var failed = state
        failed.finishClear(hold, .failure(.io(path: "x.db", message: "disk I/O error")))
        #expect(failed.dialog?.error?.contains("disk I/O error") == true)
        var gone = state
        gone.finishClear(hold, .success(nil))
        #expect(gone.dialog?.error?.contains("no longer fired") == true)
        state.finishClear(hold, .success(cleared))
        #expect(state.dialog == nil)
        #expect(state.message?.text == "cleared guard 'new-store-errors' (fired 08:40 in read-new)")
    }

    @Test func theKeyIsInTheHelpFromTheOneTable() {
        var state = ConsoleState()
        state.showsHelp = true
        let text = frame(Fixtures.guarded(), state: state).text
        #expect(text.contains(" G   clear a fired guard (choose it, give a reason) — no guard is fired"), "greyed out, and why")
        #expect(KeyBinding.binding(for: .character("G"))?.action == .clearGuard)
        #expect(KeyBinding.binding(for: .character("g")) == nil)
    }
}
