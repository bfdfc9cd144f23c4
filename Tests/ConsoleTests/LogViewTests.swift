import Console
import Foundation
import MigrationCore
import Runbook
import TestSupport
import Testing

/// The log view (`l`): a selected row, paging by what is visible, an event's details with the
/// gate report its advance recorded, search with `n`/`N`, and `n` never advancing.
struct LogViewTests {
    /// `count` rollout events, newest (the highest id) first, each with a reason naming its id.
    static func data(events count: Int) -> ConsoleData {
        var data = Fixtures.data()
        data.recentEvents = (0..<count).map { i in
            let id = Int64(count - i)
            return Fixtures.event(id, Double(i), "rollout", "read-new", "read-new", 1000, 2500,
                                  reason: "step \(id)", actor: id % 5 == 0 ? "bo" : "ana")
        }
        return data
    }

    func press(_ keys: [Key], _ state: inout ConsoleState, data: ConsoleData) -> [Effect] {
        keys.map { state.handle($0, data: data) }
    }

    func typing(_ text: String) -> [Key] { text.map { Key.character($0) } }

    /// The selected row on screen (the one marked `>`).
    func selectedRow(_ screen: Screen) -> String? {
        screen.lines.first { $0.hasPrefix(" > #") || $0.hasPrefix("> #") }
    }

    @Test func arrowsAndJKMoveTheSelectionAndTheViewFollowsIt() {
        let data = Self.data(events: 60)
        var state = ConsoleState()
        _ = press([.character("l"), .down, .character("j"), .down, .character("k")], &state, data: data)
        var screen = frame(data, state: state)
        #expect(selectedRow(screen)?.contains("#58  ") == true, "\(screen.text)")
        #expect(screen.text.contains("Audit log · newest first · 3 of 60"))
        #expect(screen.text.contains("#60  ") && !screen.text.contains("#43  "), "17 rows from the top")
        // Past the last visible row the view scrolls by one, keeping the selection on screen.
        _ = press(Array(repeating: .down, count: 16), &state, data: data)
        screen = frame(data, state: state)
        #expect(selectedRow(screen)?.contains("#42  ") == true, "\(screen.text)")
        #expect(!screen.text.contains("#59  ") && screen.text.contains("#58  "))
        #expect(screen.lines[19].contains("#42  "), "the selection on the last list row")
        // Up to the top again: it stops at the first row.
        _ = press(Array(repeating: .up, count: 30), &state, data: data)
        #expect(selectedRow(frame(data, state: state))?.contains("#60  ") == true)
    }

    @Test func pageKeysMoveByTheVisibleRowsAndHomeEndToTheEnds() {
        let data = Self.data(events: 60)
        var state = ConsoleState()
        _ = press([.character("l"), .pageDown], &state, data: data)
        #expect(LogCursor.visibleRows(terminalRows: 24) == 17)
        var screen = frame(data, state: state)
        #expect(selectedRow(screen)?.contains("#43  ") == true, "one page of 17 rows: \(screen.text)")
        #expect(screen.lines[3].contains("#43  "), "the page turned whole: its first row is selected")
        _ = press([.pageDown, .pageUp], &state, data: data)
        #expect(selectedRow(frame(data, state: state))?.contains("#43  ") == true)
        _ = press([.end], &state, data: data)
        screen = frame(data, state: state)
        #expect(selectedRow(screen)?.contains("#1  ") == true && screen.text.contains("60 of 60"))
        #expect(screen.lines[19].contains("#1  "), "the last row at the bottom, no room left empty")
        _ = press([.pageDown], &state, data: data)
        #expect(selectedRow(frame(data, state: state))?.contains("#1  ") == true, "PgDn stops at the last row")
        _ = press([.home], &state, data: data)
        #expect(selectedRow(frame(data, state: state))?.contains("#60  ") == true)

        // At 120x40 a page is 33 rows.
        var tall = ConsoleState()
        tall.log.terminalRows = 40
        _ = press([.character("l"), .pageDown], &tall, data: data)
        #expect(selectedRow(frame(data, state: tall, width: 120, height: 40))?.contains("#27  ") == true)
    }

    @Test func theSelectionStaysOnItsEventWhenNewerEventsArrive() {
        var data = Self.data(events: 30)
        var state = ConsoleState()
        _ = press([.character("l"), .down, .down], &state, data: data)
        #expect(selectedRow(frame(data, state: state))?.contains("#28  ") == true)
        data.recentEvents.insert(Fixtures.event(31, 0, "rollout", "read-new", "read-new", 2500, 5000, reason: "newer"), at: 0)
        #expect(selectedRow(frame(data, state: state))?.contains("#28  ") == true, "drawn on its event")
        _ = press([.down], &state, data: data)
        #expect(selectedRow(frame(data, state: state))?.contains("#27  ") == true, "and moves on from it")
        // The newest row's details stay on their event when a newer one arrives.
        _ = press([.escape, .character("l"), .enter], &state, data: data)
        data.recentEvents.insert(Fixtures.event(32, 0, "rollout", "read-new", "read-new", 5000, 10_000, reason: "newest"), at: 0)
        #expect(frame(data, state: state).text.contains("Audit event #31 · rollout · 2 of 32"))
    }

    @Test func longRowsEndWithAnEllipsisAndThreeDotsInASCII() {
        var data = Self.data(events: 3)
        data.recentEvents[1].reason = String(repeating: "a long reason ", count: 20)
        var state = ConsoleState()
        _ = press([.character("l")], &state, data: data)
        let row = frame(data, state: state).lines.first { $0.contains("#2  ") } ?? ""
        #expect(row.hasSuffix("… "), "|\(row)|")
        let ascii = frame(data, state: state, glyphs: .ascii).lines.first { $0.contains("#2  ") } ?? ""
        #expect(ascii.hasSuffix("a... ") || ascii.hasSuffix(" ... ") || ascii.hasSuffix("... "), "|\(ascii)|")
        #expect(ascii.count == 80)
    }

    @Test func enterShowsEveryFieldAndEscReturnsToTheList() {
        var data = Self.data(events: 5)
        data.recentEvents[1].details = "paused"
        var state = ConsoleState()
        _ = press([.character("l"), .down, .enter], &state, data: data)
        let text = frame(data, state: state).text
        for line in ["Audit event #4 · rollout · 2 of 5", "id         #4", "time       2027-01-15 08:59:00 UTC · 1m ago", "actor      ana@ops-1",
                     "action     rollout", "phase      read-new", "rollout    10% → 25%", "version    4 (the state's version after this change)",
                     "reason     step 4", "hash chain link #4; migctl log --verify checks the whole chain", "details    paused",
                     "plain text, no frame: select it with the mouse to copy it"] {
            #expect(text.contains(line), "\(line)\n\(text)")
        }
        #expect(!text.contains("│") && !text.contains("┌"), "no frame around the text to copy")
        _ = press([.escape], &state, data: data)
        #expect(state.view == .log && !state.log.showsDetail)
        _ = press([.escape], &state, data: data)
        #expect(state.view == .dashboard)
    }

    @Test func theDetailsOfAnAdvanceShowTheGateReportItRecorded() throws {
        let under = try StoreUnderTest(.sqlite)
        let ana = under.signer("ana")
        let store = try under.create(name: "m", plan: .default, runbooks: Plan.defaultRunbooks, by: ana)
        let control = MigrationControl(store: store, signer: ana)
        try control.perform(.advance(), reason: "dual writes deployed", authority: AdvanceAuthority(force: true))
        for item in try store.checklist(phase: "dual-write") {
            try store.setTick(phase: "dual-write", item: item.number, ticked: true, by: ana, at: store.now())
        }
        try control.perform(.setRollout(.full), reason: "all writes dual")
        try control.perform(.advance(), reason: "soak cut short for the drill", authority: AdvanceAuthority(force: true))

        let data = try ConsoleData.load(from: store, window: .hour, slots: 60, actor: "ana", now: store.now())
        var state = ConsoleState()
        state.log.terminalRows = 40
        state.log.terminalColumns = 120
        _ = press([.character("l"), .enter], &state, data: data)
        let text = frame(data, state: state, width: 120, height: 40).text
        #expect(text.contains("action     advance") && text.contains("phase      dual-write → read-new"), "\(text)")
        #expect(text.contains("reason     soak cut short for the drill"))
        // Nothing passed: a phase entered a second ago, no traffic, no checklist; all overridden.
        #expect(text.contains("gates      3 recorded at the advance: 0 passed, 3 did not"), "\(text)")
        #expect(text.contains("✗ soak in dual-write: 0s (want ≥ 1d at 100%)"), "\(text)")
        #expect(text.contains("? checklist of dual-write: no items (want all)"), "\(text)")
        #expect(text.contains("overridden soak in dual-write, write.new.error"), "\(text)")
    }

    @Test func aHostileDetailRowIsShownSafelyWithOneSentence() throws {
        let under = try StoreUnderTest(.sqlite)
        let ana = under.signer("ana")
        let store = try under.create(name: "m", plan: .ungated, runbooks: Plan.defaultRunbooks, by: ana)
        let esc = "' || char(27) || '"
        let rows = [
            // Not JSON, with escape sequences and a bell.
            "'{\"gates\": [\(esc)]0;owned\(esc)[2J'",
            // JSON of the wrong shapes: a gate that is a number, a status that is a number, an escape in a label.
            "'{\"gates\": [42, {\"label\": \"x\\u001b[31mred\", \"status\": 7, \"observed\": [1,2], \"bound\": null, \"overridable\": \"yes\"}], \"overridden\": {\"a\": 1}, \"confirmed\": 5}'",
            // Gates that are not a list.
            "'{\"gates\": \"all fine\\u001b[0m\"}'",
            // Nested a thousand deep.
            "'" + String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000) + "'",
            // Huge.
            "'{\"x\": \"' || replace(hex(zeroblob(40000)), '0', 'y') || '\"}'",
        ]
        for details in rows {
            let sql = """
                INSERT INTO audit (id, at, actor, host, action, reason, details) VALUES ((SELECT max(id) + 1 FROM audit),
                  '2026-11-25T12:58:08.123Z', 'mallory\(esc)[31m', 'h', 'advance', 'why\(esc)]0;t', \(details));
                """
            let result = try under.sql(sql)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let data = try ConsoleData.load(from: store, window: .hour, slots: 60, actor: "ana", now: store.now())
        #expect(data.recentEvents.count == 6)
        var state = ConsoleState()
        _ = press([.character("l")], &state, data: data)
        var sentences: [String] = []
        for _ in rows {
            _ = press([.enter], &state, data: data)
            for width in [80, 120] {
                let screen = frame(data, state: state, width: width, height: width == 80 ? 24 : 40)
                #expect(!screen.text.contains("\u{1B}") && !screen.text.contains("\u{07}"), "\(screen.text)")
                for line in screen.lines { #expect(DisplayWidth.of(line) == width, "\(line)") }
                sentences.append(screen.text)
            }
            _ = press([.end], &state, data: data)
            sentences.append(frame(data, state: state).text)
            _ = press([.escape, .down], &state, data: data)
        }
        let all = sentences.joined(separator: "\n")
        #expect(all.contains("problem    the details look like JSON but are not valid JSON; they are shown as stored"), "\(all)")
        #expect(all.contains("problem    1 of the 2 stored gate results is not a gate result and is left out"), "\(all)")
        #expect(all.contains("[status '7']") && all.contains("x?[31mred"), "\(all)")
        #expect(all.contains("problem    the stored gate results are not a list; they are shown as stored"), "\(all)")
        #expect(all.contains("more than the console decodes"), "\(all)")
        #expect(all.contains("actor      mallory?[31m@h"), "\(all)")
    }

    @Test func slashSearchesAndNJumpsBetweenMatchesWithTheirCount() {
        let data = Self.data(events: 40)
        var state = ConsoleState()
        _ = press([.character("l"), .character("/")] + typing("BO") + [.enter], &state, data: data)
        var screen = frame(data, state: state)
        // bo wrote every fifth event: #40, #35, ... #5: eight matches, the first is the selected row.
        #expect(selectedRow(screen)?.contains("#40  ") == true, "\(screen.text)")
        #expect(screen.text.contains("search \"BO\": match 1 of 8 · n next · N previous"), "\(screen.text)")
        _ = press([.character("n"), .character("n")], &state, data: data)
        screen = frame(data, state: state)
        #expect(selectedRow(screen)?.contains("#30  ") == true && screen.text.contains("match 3 of 8"), "\(screen.text)")
        _ = press([.character("N")], &state, data: data)
        #expect(frame(data, state: state).text.contains("match 2 of 8"))
        _ = press([.home, .character("N")], &state, data: data)
        #expect(selectedRow(frame(data, state: state))?.contains("#5  ") == true, "N wraps around to the last match")
        // Moving off a match keeps the search and says how many there are.
        _ = press([.up], &state, data: data)
        #expect(frame(data, state: state).text.contains("search \"BO\": 8 matches"))
        // Matches in the details count too: the time line holds the date.
        _ = press([.character("/"), .control("u")] + typing("zzz") + [.enter], &state, data: data)
        screen = frame(data, state: state)
        #expect(screen.text.contains("search \"zzz\": no match"), "\(screen.text)")
        _ = press([.character("n")], &state, data: data)
        #expect(frame(data, state: state).text.contains("no match"))
        // Esc clears the search, the next one leaves the view.
        _ = press([.escape], &state, data: data)
        #expect(state.log.search == nil && state.view == .log)
    }

    @Test func theSearchPromptEditsAndShowsWhatIsTyped() {
        let data = Self.data(events: 10)
        var state = ConsoleState()
        _ = press([.character("l"), .character("/")] + typing("setp") + [.left, .left, .backspace, .right, .character("e")], &state, data: data)
        let screen = frame(data, state: state)
        #expect(screen.lines[20].hasPrefix(" /step "), "\(screen.lines[20])")
        #expect(screen.text.contains("Enter searches · Esc cancels"))
        // Keys typed into the prompt are text, not commands.
        #expect(state.view == .log && state.log.search?.isEditing == true)
        _ = press([.escape], &state, data: data)
        #expect(state.log.search == nil, "cancelling the first search leaves none")
    }

    @Test func nInTheLogNeverAdvances() {
        // At 100% with every gate passing, n on the dashboard would check the gates.
        var data = Fixtures.data(rollout: 10_000)
        data.gates = GateReport(target: "new-primary", irreversible: true, results: [])
        var dashboard = ConsoleState()
        #expect(dashboard.handle(.character("n"), data: data) == .checkGates, "the control: n advances on the dashboard")

        var state = ConsoleState()
        var effects = press([.character("l"), .character("n"), .character("N")], &state, data: data)
        #expect(state.message?.text.contains("no search yet: / searches this list") == true)
        effects += press([.character("/")] + typing("ramp") + [.enter, .character("n"), .character("n"), .enter, .character("n")], &state, data: data)
        effects += press([.character("/"), .character("n"), .enter], &state, data: data)
        effects += press([.escape, .escape, .character("m"), .character("n")], &state, data: data)
        #expect(effects.allSatisfy { $0 == .none }, "\(effects)")
        #expect(state.dialog == nil && state.busy == nil)
    }

    @Test func theLogsKeysAreInItsFooterAndHelpFromTheOneTable() {
        let data = Self.data(events: 5)
        var state = ConsoleState()
        _ = press([.character("l")], &state, data: data)
        let footer = frame(data, state: state, width: 120, height: 40).lines[39]
        #expect(footer.contains("Enter details") && footer.contains("/ search") && footer.contains("n/N match"), "\(footer)")
        #expect(!footer.contains("next"), "the dashboard's n is not offered here: \(footer)")
        _ = press([.character("?")], &state, data: data)
        let help = frame(data, state: state, width: 120, height: 40).text
        #expect(help.contains("the search's next match (here n never advances)") && help.contains("Enter"), "\(help)")
        _ = press([.escape, .enter], &state, data: data)
        #expect(frame(data, state: state).lines[23].contains("Esc list"), "the details have their own footer")
        _ = press([.character("/")], &state, data: data)
        #expect(frame(data, state: state).lines[23].contains("Enter search  Esc cancel"))
    }

    @Test func theMismatchListSelectsAndSearchesToo() {
        let now = Fixtures.now
        var data = Fixtures.data()
        data.jobs = [ConsoleData.JobSnapshot(job: .verify, control: .standard,
                                             progress: JobProgress(cursor: nil, done: 100, total: 100, startedAt: now, finishedAt: now, instance: "i",
                                                                   mismatches: 30))]
        data.mismatches = (1...30).map { VerifyMismatch(runStartedAt: now, key: "user-\($0)", oldDigest: "ab", newDigest: "cd", foundAt: now) }
        var state = ConsoleState()
        _ = press([.character("m"), .pageDown], &state, data: data)
        var screen = frame(data, state: state)
        #expect(screen.lines.contains { $0.hasPrefix(" > user-18  old") }, "\(screen.text)")
        _ = press([.character("/")] + typing("user-3") + [.enter], &state, data: data)
        screen = frame(data, state: state)
        #expect(screen.lines.contains { $0.hasPrefix(" > user-30  old") } && screen.text.contains("match 2 of 2"), "\(screen.text)")
        _ = press([.enter], &state, data: data)
        #expect(!state.log.showsDetail, "mismatches have no details view")
    }

    @Test func theDetailsScrollByLinesAndPages() {
        var data = Self.data(events: 3)
        data.recentEvents[0].reason = String(repeating: "a reason that wraps over many lines ", count: 60)
        var state = ConsoleState()
        _ = press([.character("l"), .enter], &state, data: data)
        var screen = frame(data, state: state)
        #expect(screen.text.contains("lines 1-17 of "), "\(screen.text)")
        _ = press([.pageDown], &state, data: data)
        screen = frame(data, state: state)
        #expect(screen.text.contains("lines 18-34 of "), "\(screen.text)")
        _ = press([.end], &state, data: data)
        screen = frame(data, state: state)
        #expect(screen.text.contains("details    none"), "\(screen.text)")
        _ = press([.home, .down], &state, data: data)
        #expect(frame(data, state: state).text.contains("lines 2-18 of "))
    }

    @Test func snapshotsOfTheDetailsView() throws {
        var data = Fixtures.data()
        let gates: [GateResult] = [
            GateResult(kind: "soak", label: "soak in read-new", status: .fail, observed: "2h", bound: "≥ 7d", sentence: "read-new has soaked 2h of 7d",
                       overridable: true),
            GateResult(kind: "counter", label: "verify.mismatch / (verify.match + verify.mismatch) over phase", status: .pass, observed: "0 (0/485)",
                       bound: "≤ 0", sentence: "no mismatch since the phase began", overridable: false),
            GateResult(kind: "command", label: "command ./smoke-test.sh", status: .unknown, observed: "timed out", bound: "exit 0",
                       sentence: "the smoke test did not finish within 30s", overridable: true, output: ["connecting to users-v2…", "still waiting"]),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        struct Details: Encodable { var gates: [GateResult]; var overridden: [String]; var confirmed: String? }
        let json = try encoder.encode(Details(gates: gates, overridden: ["soak in read-new", "command ./smoke-test.sh"], confirmed: "new-primary"))
        data.recentEvents[0] = Fixtures.event(7, 10, "advance", "read-new", "new-primary", 10_000, 0, reason: "the week's soak was waived by the change board")
        data.recentEvents[0].details = String(decoding: json, as: UTF8.self)
        var state = ConsoleState()
        _ = press([.character("l"), .enter], &state, data: data)
        assertSnapshot(frame(data, state: state), named: "log-detail-80x24")
        state.log.terminalRows = 40
        state.log.terminalColumns = 120
        assertSnapshot(frame(data, state: state, width: 120, height: 40), named: "log-detail-120x40")
    }
}
