import Console
import Foundation
import MigrationCore
import Runbook
import Testing

/// The runbook view (`r`): the checklist with gate figures, Space that ticks and moves on, the
/// next phase's runbook, and the layout of cursor, quotes and wrapped text.
struct RunbookViewTests {
    /// read-new at 100% with its shipped runbook, item 1 (miss rate) ticked while the miss gate
    /// fails, and the next phase's gates evaluated in the plan's order.
    static func data(missStatus: GateStatus = .fail, runbook: String? = nil, checklist: [ChecklistItem]? = nil) -> ConsoleData {
        var data = Fixtures.data(phase: "read-new", rollout: 10_000)
        let markdown = runbook ?? Plan.defaultRunbooks["read-new"]!
        data.runbook = RunbookDocument(markdown: markdown)
        data.checklist = checklist ?? RunbookDocument(markdown: markdown).checklist.enumerated().map { i, text in
            i == 0 ? ChecklistItem(number: 1, text: text, tickedBy: "bo", tickedAt: Fixtures.now) : ChecklistItem(number: i + 1, text: text)
        }
        data.nextRunbook = RunbookDocument(markdown: Plan.defaultRunbooks["new-primary"]!)
        data.nextChecklist = RunbookDocument(markdown: Plan.defaultRunbooks["new-primary"]!).checklist.enumerated().map {
            ChecklistItem(number: $0 + 1, text: $1)
        }
        func result(_ kind: String, _ label: String, _ status: GateStatus, _ observed: String, _ bound: String) -> GateResult {
            GateResult(kind: kind, label: label, status: status, observed: observed, bound: bound, sentence: "", overridable: true)
        }
        data.gates = GateReport(target: "new-primary", irreversible: true, results: [
            result("soak", "soak in read-new", .fail, "2h", "≥ 7d"),
            result("counter", "miss / (hit + miss) over 1h", missStatus,
                   missStatus == .pass ? "0.02 (20/1000)" : "0.21 (210/1000)", "≤ 0.05"),
            result("counter", "verify.mismatch / (verify.match + verify.mismatch) over 1d", .pass, "0 (0/485)", "≤ 0"),
            result("counter", "write.new.error / (write) over 1h", .unknown, "3/40", "≤ 0.001"),
            result("checklist", "checklist of read-new", .fail, "1/5 ticked", "all"),
            result("approval", "approval of new-primary by another operator", .fail, "none", "within 1d"),
            result("fleet", "fleet on the current version", .pass, "1/1", "all live"),
        ])
        return data
    }

    func press(_ keys: [Key], _ state: inout ConsoleState, data: ConsoleData = Self.data()) -> [Effect] {
        keys.map { state.handle($0, data: data) }
    }

    /// The state with the runbook open and the cursor on the first checklist item.
    func atChecklist(_ data: ConsoleData = Self.data()) -> ConsoleState {
        var state = ConsoleState()
        _ = press([.character("r")], &state, data: data)
        state.runbookCursor = data.runbook!.blocks.firstIndex { if case .task = $0 { return true } else { return false } }!
        return state
    }

    func rows(containing text: String, in screen: Screen) -> [Int] {
        screen.lines.indices.filter { screen.lines[$0].contains(text) }
    }

    // MARK: gate figures

    @Test func aTaskTiedToAGateShowsItsLiveFigure() {
        let screen = frame(Self.data(), state: atChecklist())
        let text = screen.text
        #expect(text.contains("[x] Miss rate below 5% over the last hour at 100% rollout\n       ✗ miss 0.21 (210/1000) want ≤ 0.05  (bo)"),
                "the figure stays on one line")
        #expect(text.contains("✓ verify.mismatch 0 (0/485) want ≤ 0"))
        assertSnapshot(screen, named: "runbook-gate-figures-80x24")
    }

    @Test func aTickedItemWhoseGateFailsIsAWarningAndOneWhoseGatePassesIsGreen() throws {
        let failing = frame(Self.data(), state: atChecklist())
        let row = try #require(rows(containing: "[x] Miss rate", in: failing).first)
        let column = try #require(failing.lines[row].range(of: "Miss")).lowerBound.utf16Offset(in: failing.lines[row])
        #expect(failing[row, column].style == .warning)
        let figure = try #require(failing.lines[row + 1].range(of: "✗ miss")).lowerBound.utf16Offset(in: failing.lines[row + 1])
        #expect(failing[row + 1, figure].style == .danger)

        let passing = frame(Self.data(missStatus: .pass), state: atChecklist(Self.data(missStatus: .pass)))
        let green = try #require(rows(containing: "[x] Miss rate", in: passing).first)
        #expect(passing.text.contains("✓ miss 0.02 (20/1000) want ≤ 0.05"))
        #expect(passing[green, column].style == .good)
    }

    @Test func aMarkerNamingNoGateSaysSoInsteadOfShowingNothing() {
        let data = Self.data(runbook: "# Read new\n\n- [ ] miss rate below 5% `gate: miss-rate`\n", checklist: [ChecklistItem(number: 1, text: "x")])
        let text = frame(data, state: atChecklist(data)).text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("[ ] miss rate below 5% ? gate 'miss-rate': no such gate of new-primary (its gates: soak, miss, verify.mismatch,"))
    }

    @Test func aHostileMarkerNameReachesTheScreenOnlyAsSafeText() {
        let data = Self.data(runbook: "# R\n\n- [ ] x `gate: \u{1b}[2J\u{202e}evil`\n- [ ] y (gate: \u{7}bell)\n",
                             checklist: [ChecklistItem(number: 1, text: "x"), ChecklistItem(number: 2, text: "y")])
        let screen = frame(data, state: atChecklist(data))
        #expect(!screen.lines.joined().unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{202e}" })
        #expect(screen.text.contains("no such gate of new-primary"))
    }

    @Test func tickingAnItemWhoseGateFailsIsAllowedAndSaysSo() {
        var state = atChecklist()
        _ = press([.character(" ")], &state) // item 1 is ticked: Space unticks it
        #expect(state.message == nil)
        let data = Self.data(checklist: RunbookDocument(markdown: Plan.defaultRunbooks["read-new"]!).checklist.enumerated().map {
            ChecklistItem(number: $0 + 1, text: $1)
        })
        state = atChecklist(data)
        #expect(press([.character(" ")], &state, data: data) == [.tick(phase: "read-new", item: 1, ticked: true)])
        #expect(state.message?.text == "ticked, but ✗ miss 0.21 (210/1000) want ≤ 0.05: the gate still holds the advance")
    }

    // MARK: Space and the cursor

    @Test func spaceTicksAndMovesToTheNextItemUntickingStaysPut() {
        let data = Self.data()
        var state = atChecklist(data)
        let first = state.runbookCursor
        #expect(press([.character(" ")], &state, data: data) == [.tick(phase: "read-new", item: 1, ticked: false)])
        #expect(state.runbookCursor == first, "unticking stays put")
        _ = press([.down], &state, data: data)
        #expect(press([.character(" ")], &state, data: data) == [.tick(phase: "read-new", item: 2, ticked: true)])
        #expect(press([.character(" ")], &state, data: data) == [.tick(phase: "read-new", item: 3, ticked: true)], "the cursor moved to item 3")
        _ = press([.end], &state, data: data)
        #expect(press([.character(" ")], &state, data: data) == [.none] && state.message?.isError == true, "the last block is no item")
    }

    @Test func theLastItemStaysUnderTheCursorAfterItsTick() {
        let data = Self.data(runbook: "# R\n\n- [ ] one\n- [ ] two\n\nAfter.\n", checklist: [ChecklistItem(number: 1, text: "one"), ChecklistItem(number: 2, text: "two")])
        var state = ConsoleState()
        _ = press([.character("r"), .down, .down], &state, data: data)
        #expect(press([.character(" ")], &state, data: data) == [.tick(phase: "read-new", item: 2, ticked: true)])
        #expect(state.runbookCursor == 2)
    }

    @Test func theCursorMarksOneLineEvenOnAHeadingAfterABlankLine() {
        let data = Self.data()
        var state = ConsoleState()
        _ = press([.character("r"), .tab], &state, data: data)
        let screen = frame(data, state: state)
        let marked = screen.lines.filter { $0.hasPrefix(" >") }
        #expect(marked.count == 1, "\(marked)")
        #expect(marked.first?.contains("## Before you advance") == true)
    }

    @Test func aWrappedItemIsMarkedOnItsFirstLineOnly() {
        let long = String(repeating: "word ", count: 40)
        let data = Self.data(runbook: "# R\n\n- [ ] \(long)\n", checklist: [ChecklistItem(number: 1, text: long)])
        var state = ConsoleState()
        _ = press([.character("r"), .down], &state, data: data)
        let screen = frame(data, state: state)
        #expect(rows(containing: "word", in: screen).count >= 3)
        #expect(screen.lines.filter { $0.hasPrefix(" >") }.count == 1)
    }

    // MARK: the next phase's runbook

    @Test func vShowsTheNextPhasesRunbookAtItsBeforeYouAdvanceSectionReadOnly() {
        let data = Self.data()
        var state = ConsoleState()
        _ = press([.character("r")], &state, data: data)
        #expect(frame(data, state: state).text.contains("Runbook · read-new · checklist 1/5 ticked"))
        _ = press([.character("v")], &state, data: data)
        let text = frame(data, state: state).text
        #expect(text.contains("Runbook · new-primary (NEXT phase, read-only)") && text.contains("v: back to read-new"))
        #expect(text.contains("> ## Before you advance"))
        _ = press([.tab, .tab, .down], &state, data: data)
        let checklist = frame(data, state: state).text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(checklist.contains("> [ ] Rollout at 100% and stable for a day (gate soak: live once new-primary is current)"),
                "its markers name new-only's gates: no figure yet")
        #expect(press([.character(" ")], &state, data: data) == [.none])
        #expect(state.message?.text.contains("read-only") == true)
        _ = press([.left], &state, data: data)
        #expect(!state.runbookShowsNext && frame(data, state: state).text.contains("Runbook · read-new · checklist"))
        _ = press([.right, .escape, .character("r")], &state, data: data)
        #expect(!state.runbookShowsNext && state.runbookCursor == 0, "r opens the current phase's runbook again")
    }

    @Test func theLastPhaseHasNoNextRunbook() {
        var data = Fixtures.data(phase: "complete", rollout: 10_000)
        data.runbook = RunbookDocument(markdown: Plan.defaultRunbooks["complete"]!)
        var state = ConsoleState()
        _ = press([.character("r"), .character("v")], &state, data: data)
        #expect(!state.runbookShowsNext && state.message?.text == "complete is the last phase: there is no next runbook")
    }

    // MARK: layout

    @Test func aQuoteKeepsItsBarOnEveryLine() {
        let quote = "This phase is irreversible. From the first key routed here, the new store is authoritative and the old store may miss writes."
        let data = Self.data(runbook: "# R\n\n> \(quote)\n", checklist: [])
        var state = ConsoleState()
        _ = press([.character("r")], &state, data: data)
        let screen = frame(data, state: state)
        let quoted = rows(containing: "irreversible", in: screen).first!
        #expect(screen.lines[quoted + 1].contains("│ ") && screen.lines[quoted + 1].contains("miss writes."), "\(screen.text)")
    }

    @Test func aFullStopAfterCodeStaysWithIt() {
        let pieces: [(String, Style)] = [("The console asks you to type ", .plain), ("new-primary", .accent), (".", .plain)]
        for width in 12...45 {
            let lines = WordWrap.lines(pieces, width: width)
            let texts = lines.map { $0.map(\.0).joined() }
            #expect(!texts.contains { $0.trimmingCharacters(in: .whitespaces) == "." }, "width \(width): \(texts)")
            #expect(texts.allSatisfy { DisplayWidth.of($0) <= width }, "width \(width): \(texts)")
            #expect(texts.joined(separator: " ") == "The console asks you to type new-primary.", "width \(width): \(texts)")
        }
    }

    @Test func aFullStopAtTheEndOfALineStaysWithTheCodeBeforeItOnScreen() {
        // 60 + 1 + 15 columns fill the 76 the paragraph has at 80x24: the full stop is the 77th.
        let data = Self.data(runbook: "# R\n\n\(String(repeating: "a", count: 60)) `fifteen-columns`.\n", checklist: [])
        var state = ConsoleState()
        _ = press([.character("r")], &state, data: data)
        let lines = frame(data, state: state).lines.map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(!lines.contains("."), "\(lines)")
        #expect(lines.contains("fifteen-columns."), "\(lines)")
    }

    @Test func aWordLongerThanTheLineIsCutAndWideCharactersCountTwo() {
        let texts = WordWrap.lines([("ab 迁移迁移迁移 c", .plain)], width: 4).map { $0.map(\.0).joined() }
        #expect(texts == ["ab", "迁移", "迁移", "迁移", "c"])
    }

    @Test func theRunbookKeysAreInTheFooterAndInHelp() {
        var state = ConsoleState()
        _ = press([.character("r")], &state)
        let footer = frame(Self.data(), state: state).lines[23]
        for key in ["Space tick", "Tab ][ section", "v next"] { #expect(footer.contains(key), "\(footer)") }
        _ = press([.character("?")], &state)
        let help = frame(Self.data(), state: state).text
        for key in ["Space", "tick the item and go to the next one", "the next phase's runbook (read-only)"] { #expect(help.contains(key), "\(help)") }
    }
}
