import Console
import Foundation
import MigrationCore
import Testing

/// The dialogs' text fields through the console's own key handling: editing keys, horizontal
/// scrolling with a visible cursor, the previous reason offered again, a mistyped confirmation
/// kept open, stale dialogs, expiring messages and the demo's quit question.
struct DialogInputTests {
    func press(_ keys: [Key], _ state: inout ConsoleState, data: ConsoleData = Fixtures.data()) -> [Effect] {
        keys.map { state.handle($0, data: data) }
    }

    func typing(_ text: String) -> [Key] { text.map { Key.character($0) } }

    /// The reason of the change the last key sent, if it sent one.
    func reasonSent(_ effects: [Effect]) -> String? {
        guard let last = effects.last, case .perform = last, let payload = Mirror(reflecting: last).children.first?.value else { return nil }
        return Mirror(reflecting: payload).children.first { $0.label == "reason" }?.value as? String
    }

    /// The row of the screen holding the field (`> ` in the dialog), and its cells.
    func fieldRow(_ screen: Screen) -> Int? {
        screen.lines.firstIndex { $0.contains("│ > ") || $0.contains("| > ") }
    }

    /// The columns drawn reversed on the field's row, inside the dialog's box.
    func reversedColumns(_ screen: Screen, row: Int) -> [Int] {
        (0..<screen.width).filter { screen[row, $0].style.reverse }
    }

    // MARK: - Editing keys

    @Test func everyEditingKeyWorksInTheReasonField() {
        let cases: [(keys: [Key], reason: String)] = [
            (typing("ramp fne") + [.left, .left] + typing("i"), "ramp fine"),
            (typing("amp fine") + [.home] + typing("r"), "ramp fine"),
            (typing("amp fine") + [.control("a")] + typing("r"), "ramp fine"),
            (typing("ramp") + [.home, .end] + typing(" fine"), "ramp fine"),
            (typing("ramp") + [.home, .control("e")] + typing(" fine"), "ramp fine"),
            (typing("ramp fine") + [.home, .right, .right, .right, .right] + typing(" is"), "ramp is fine"),
            (typing("ramp finee") + [.backspace], "ramp fine"),
            (typing("rramp fine") + [.home, .delete], "ramp fine"),
            (typing("not this at all") + [.control("u")] + typing("ramp fine"), "ramp fine"),
            (typing("ramp fine not this") + [.control("w"), .control("w"), .backspace], "ramp fine"),
            (typing("ramp fine, not this") + [.home] + Array(repeating: Key.right, count: 9) + [.control("k")], "ramp fine"),
        ]
        for (keys, reason) in cases {
            var state = ConsoleState()
            let effects = press([.character("+")] + keys + [.enter], &state)
            #expect(reasonSent(effects) == reason, "\(keys)")
        }
    }

    @Test func controlKeysAreNeverTypedAsText() {
        var state = ConsoleState()
        _ = press([.character("+")] + typing("ok") + [.control("a"), .control("e"), .control("g"), .delete], &state)
        #expect(state.dialog?.input.text == "ok")
    }

    @Test func everyFieldEdits() throws {
        // The rollout prompt, the rate prompt and the typed confirmation share the one field.
        var state = ConsoleState()
        _ = press([.character("%")] + typing("5") + [.home] + typing("2") + [.end] + typing(".5") + [.enter], &state)
        guard case .change(.setRollout(let rollout), _, _) = state.dialog?.kind else { Issue.record("no change dialog"); return }
        #expect(rollout == (try Rollout(percent: "25.5")))
        state = ConsoleState()
        var backfill = Fixtures.data(phase: "backfill", rollout: 10_000)
        backfill.jobs = [ConsoleData.JobSnapshot(job: .backfill, control: .standard, progress: nil)]
        let effects = press([.character("R")] + typing("900") + [.home] + typing("5") + [.control("k")] + typing("20") + [.enter], &state,
                            data: backfill)
        #expect(effects.last == .changeJob(.backfill, .rate(520)), "Ctrl+K cut the rest: \(state.dialog?.error ?? "")")
        let ready = Fixtures.data(phase: "read-new", rollout: 10_000)
        state = ConsoleState()
        state.openAdvance(passingReport(), data: ready)
        _ = press(typing("primary") + [.control("a")] + typing("new-") + [.enter], &state, data: ready)
        guard case .advance(_, _, _, let confirmed) = state.dialog?.kind else { Issue.record("no advance dialog"); return }
        #expect(confirmed && state.dialog?.input.isEmpty == true)
    }

    // MARK: - Scrolling and the cursor

    static let longReason = "miss rate below one percent for twenty minutes on every shard, p99 latency flat, no new errors in the service log"

    @Test func aLongReasonScrollsAndTheCursorStaysVisible() throws {
        var state = ConsoleState()
        _ = press([.character("+")] + typing(Self.longReason), &state)
        var screen = frame(Fixtures.data(), state: state)
        assertSnapshot(screen, named: "dialog-long-reason-80x24")
        let row = try #require(fieldRow(screen))
        let line = screen.lines[row]
        #expect(line.contains("> …") && line.contains("service log"), "the end of the text is shown, the hidden start marked: \(line)")
        // The cursor after the end: one reversed cell right after "log".
        let cursor = reversedColumns(screen, row: row)
        #expect(cursor.count == 1)
        #expect(screen[row, cursor[0] - 1].character == "g" && screen[row, cursor[0]].character == " ")

        // Home: the start is shown, the hidden end marked, the cursor on the first character.
        _ = press([.home], &state)
        screen = frame(Fixtures.data(), state: state)
        let start = screen.lines[row]
        #expect(start.contains("> miss rate below") && start.contains("…"), "\(start)")
        let onFirst = reversedColumns(screen, row: row)
        #expect(onFirst.count == 1 && screen[row, onFirst[0]].character == "m")

        // Moving right through the whole text, the cursor is always on screen, on its character.
        for index in 0..<Self.longReason.count {
            screen = frame(Fixtures.data(), state: state)
            let reversed = reversedColumns(screen, row: row)
            #expect(reversed.count == 1, "cursor at \(index)")
            if let column = reversed.first {
                #expect(screen[row, column].character == Array(Self.longReason)[index], "cursor at \(index)")
            }
            _ = press([.right], &state)
        }
    }

    @Test func wideCharactersAndHostileTextInTheField() throws {
        var state = ConsoleState()
        _ = press([.character("+")] + typing(String(repeating: "漢字", count: 40) + "\u{1B}]52;c;x\u{7}"), &state)
        let screen = frame(Fixtures.data(), state: state)
        let row = try #require(fieldRow(screen))
        #expect(!screen.lines[row].contains("\u{1B}"))
        #expect(state.dialog?.input.text.contains("\u{1B}") == false, "control characters are not typed")
        #expect(reversedColumns(screen, row: row).count == 1)
    }

    // MARK: - The previous reason

    @Test func thePreviousReasonIsOfferedForTheNextRampStep() {
        var state = ConsoleState()
        #expect(reasonSent(press([.character("+")] + typing("hit ratio steady") + [.enter], &state)) == "hit ratio steady")
        state.dialog = nil  // the change was made
        let at50 = Fixtures.data(rollout: 5000, version: 8)
        _ = press([.character("+")], &state, data: at50)
        #expect(state.dialog?.input.text == "hit ratio steady" && state.dialog?.input.isSelected == true)
        let text = frame(at50, state: state).text
        #expect(text.contains("your previous one filled in") && text.contains("> hit ratio steady"))
        #expect(text.contains("Enter reuses it · typing replaces it · ← or Home edits it"))
        #expect(reasonSent(press([.enter], &state, data: at50)) == "hit ratio steady", "Enter reuses it")

        state.dialog = nil
        _ = press([.character("+")] + typing("p99 flat") + [.enter], &state, data: at50)
        #expect(state.lastRampReason?.text == "p99 flat", "typing replaced it")
        state.dialog = nil
        _ = press([.character("+"), .end] + typing(", again") + [.enter], &state, data: at50)
        #expect(state.lastRampReason?.text == "p99 flat, again", "a move edits it")
    }

    @Test func thePreviousReasonStaysInItsPhase() {
        var state = ConsoleState()
        _ = press([.character("+")] + typing("hit ratio steady") + [.enter], &state)
        state.dialog = nil
        _ = press([.character("+")], &state, data: Fixtures.data(phase: "dual-write", rollout: 5000, version: 9))
        #expect(state.dialog?.input.isEmpty == true && state.dialog?.offersPreviousReason == false)
    }

    // MARK: - The typed confirmation

    func passingReport() -> GateReport {
        GateReport(target: "new-primary", irreversible: true, results: [
            GateResult(kind: "soak", label: "soak in read-new", status: .pass, observed: "8d", bound: "≥ 7d", sentence: "ok", overridable: true),
        ])
    }

    @Test func aMistypedConfirmationKeepsTheDialogOpenWithItsError() {
        var state = ConsoleState()
        let ready = Fixtures.data(phase: "read-new", rollout: 10_000)
        state.openAdvance(passingReport(), data: ready)
        let effects = press(typing("new-primray") + [.enter], &state, data: ready)
        #expect(effects.allSatisfy { $0 == .none })
        #expect(state.dialog != nil && state.message == nil)
        #expect(state.dialog?.error?.contains("you typed 'new-primray', not 'new-primary'; nothing changed") == true)
        #expect(state.dialog?.input.text == "new-primray", "the typed text stays, to be corrected")
        let text = frame(ready, state: state).text
        #expect(text.contains("you typed 'new-primray', not 'new-primary'") && text.contains("Type new-primary to confirm"))
        // Fixed with the editing keys, it goes on to the reason.
        _ = press([.left, .left, .left, .delete, .right] + typing("r") + [.enter], &state, data: ready)
        guard case .advance(_, _, _, let confirmed) = state.dialog?.kind else { Issue.record("closed"); return }
        #expect(confirmed && state.dialog?.error == nil)
    }

    // MARK: - A stale dialog

    @Test func aStaleChangeDialogShowsTheNewStateNotTheOldPreview() {
        var state = ConsoleState()
        _ = press([.character("+")] + typing("ramp"), &state)
        #expect(frame(Fixtures.data(), state: state).text.contains("rollout  25% → 50%"))
        let moved = Fixtures.data(rollout: 5000, version: 8)
        let text = frame(moved, state: state).text
        #expect(text.contains("The state changed since this dialog opened (version 7 → 8)"))
        #expect(text.contains("now      read-new at 50% (version 8)") && text.contains("changed by ana"))
        #expect(text.contains("it will not be"))
        #expect(!text.contains("25% → 50%") && !text.contains("version  7 → 8") && !text.contains("Reason (for the audit log)"),
                "no preview worked out for the old state: \(text)")
        #expect(state.handle(.enter, data: moved) == .none)
        #expect(state.dialog?.error?.contains("version 7 → 8") == true)
    }

    @Test func aStaleAdvanceDialogShowsTheNewStateNotTheOldPreview() {
        var state = ConsoleState()
        let ready = Fixtures.data(phase: "read-new", rollout: 10_000)
        state.openAdvance(passingReport(), data: ready)
        let moved = Fixtures.data(phase: "read-new", rollout: 5000, version: 8)
        let text = frame(moved, state: state).text
        #expect(text.contains("now      read-new at 50% (version 8)") && !text.contains("phase    read-new → new-primary"), "\(text)")
        #expect(!text.contains("Type new-primary to confirm"))
    }

    // MARK: - Messages expire

    @Test func aMessageExpiresAfterItsLifetime() {
        var state = ConsoleState()
        _ = press([.character("+"), .escape], &state)
        #expect(state.message?.text == "cancelled; nothing changed")
        let t0 = Fixtures.now
        state.ageMessage(now: t0)
        #expect(state.message?.shownSince == t0, "stamped by the first frame")
        state.ageMessage(now: t0.addingTimeInterval(4.9))
        #expect(state.message != nil)
        state.ageMessage(now: t0.addingTimeInterval(5))
        #expect(state.message == nil)

        state.message = ConsoleState.Message("refused", isError: true)
        state.ageMessage(now: t0)
        state.ageMessage(now: t0.addingTimeInterval(9))
        #expect(state.message != nil, "an error stays longer")
        state.ageMessage(now: t0.addingTimeInterval(10))
        #expect(state.message == nil)
    }

    @Test func aNewMessageStartsItsOwnLifetime() {
        var state = ConsoleState()
        let t0 = Fixtures.now
        state.message = ConsoleState.Message("first")
        state.ageMessage(now: t0)
        state.message = ConsoleState.Message("second")
        state.ageMessage(now: t0.addingTimeInterval(4))
        state.ageMessage(now: t0.addingTimeInterval(8))
        #expect(state.message?.text == "second")
    }

    // MARK: - The demo's quit question

    @Test func qAsksBeforeQuittingWhenThereIsAQuestion() {
        var state = ConsoleState(quitQuestion: "Quitting stops the demo's simulated service.")
        #expect(press([.character("q")], &state) == [.none])
        guard case .confirmQuit = state.dialog?.kind else { Issue.record("no question"); return }
        let text = frame(Fixtures.data(), state: state).text
        #expect(text.contains("Quitting stops the demo's simulated service.") && text.contains("y stops it and quits"))
        for key: Key in [.character("n"), .escape, .enter, .character("q"), .control("c")] {
            #expect(press([key], &state) == [.none] && state.dialog == nil, "\(key) keeps it running")
            #expect(state.message?.text == "still running; nothing stopped")
            _ = press([.character("q")], &state)
        }
        #expect(press([.character("y")], &state) == [.quit])
        var plain = ConsoleState()
        #expect(press([.character("q")], &plain) == [.quit], "the console alone quits at once")
    }

    @Test func qDuringAGateCheckAsksToo() {
        var state = ConsoleState(quitQuestion: "Quitting stops the service.")
        state.busy = "running the gates…"
        #expect(press([.character("q")], &state) == [.cancelCheck] && state.busy == nil)
        #expect(press([.character("Y")], &state) == [.quit])
    }
}
