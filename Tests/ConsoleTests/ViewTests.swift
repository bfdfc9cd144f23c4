import Console
import MigrationCore
import Testing

struct ViewTests {
    @Test func dashboardAt80x24() {
        assertSnapshot(frame(Fixtures.data()), named: "dashboard-80x24")
    }

    @Test func dashboardAt120x40GrowsTheChartAndTheAuditList() {
        let screen = frame(Fixtures.data(slots: 111), width: 120, height: 40)
        assertSnapshot(screen, named: "dashboard-120x40")
    }

    @Test func dashboardInASCII() {
        let screen = frame(Fixtures.data(), glyphs: .ascii)
        #expect(screen.lines.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) })
        assertSnapshot(screen, named: "dashboard-ascii")
    }

    @Test func everyCellIsDrawn() {
        let screen = frame(Fixtures.data())
        #expect(!screen.lines.joined().contains("¤"), "the filler must be overwritten everywhere")
    }

    @Test func aTerminalTooSmallSaysSoInsteadOfDrawingGarbage() {
        for (width, height) in [(79, 24), (80, 23), (20, 5), (1, 1)] {
            let screen = frame(Fixtures.data(), width: width, height: height)
            #expect(screen.text.replacingOccurrences(of: "\n", with: " ").contains("too small") || width < 10, "\(width)x\(height)")
            #expect(!screen.text.contains("Phases"))
        }
        #expect(frame(Fixtures.data(), width: 0, height: 0).lines.isEmpty)
    }

    @Test func thePointOfNoReturnIsMarkedAndTheNextIrreversibleMoveFlagged() {
        let text = frame(Fixtures.data(phase: "read-new", rollout: 10_000)).text
        #expect(text.contains("┅┅ point of no return ┅┅"))
        #expect(text.contains("Next     new-primary · IRREVERSIBLE") && text.contains("instances 0/0 on v7"))
        #expect(text.contains("IRREVERSIBLE · gates 0/1 pass") && text.contains("✗ soak in read-new: 2h (want ≥ 7d)"), "\(text)")
    }

    /// A client that records no `job_progress` and publishes only gauges: the same words, the same rule.
    @Test func progressUsesBackfillGaugesWithoutARun() {
        var gauges = [Gauge(name: "backfill.total", value: 100_000, updatedAt: Fixtures.now),
                      Gauge(name: "backfill.done", value: 45_210, updatedAt: Fixtures.now)]
        #expect(frame(Fixtures.data(gauges: gauges)).text.contains("Progress copied 45,210/100,000 45.2% · hit ratio"), "no rate published: no ETA")
        gauges.append(Gauge(name: "backfill.rate", value: 500, updatedAt: Fixtures.now))
        #expect(frame(Fixtures.data(gauges: gauges)).text.contains("Progress copied 45,210/100,000 45.2% · 500/s · ETA 1m 50s · hit ratio"))
    }

    @Test func controlCharactersFromTheDatabaseAreNeutralised() {
        let text = frame(Fixtures.data(reason: "evil \u{1b}]0;owned\u{07} \u{202e}reversed")).text
        #expect(!text.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 || $0.value == 0x202e })
        #expect(text.contains("evil ?]0;owned? ?reversed"))
    }

    @Test func helpOverlayListsEveryBinding() {
        var state = ConsoleState()
        state.showsHelp = true
        let text = frame(Fixtures.data(), state: state).text
        // Each binding's key and its description share a line of the overlay.
        let lines = frame(Fixtures.data(), state: state).lines
        for binding in KeyBinding.bindings(in: .dashboard) {
            #expect(lines.contains { $0.contains(" \(binding.label) ") && $0.contains(binding.help) }, "\(binding.label): \(binding.help)")
        }
        #expect(text.contains("Esc close help"))
    }

    @Test func readOnlyHidesChangeKeysFromTheFooter() {
        let footer = frame(Fixtures.data(), state: ConsoleState(readOnly: true)).lines[23]
        #expect(!footer.contains("next") && !footer.contains("ramp") && footer.contains("READ-ONLY") && footer.contains("q quit"))
    }

    @Test func logViewScrolls() {
        var state = ConsoleState()
        state.view = .log
        let top = frame(Fixtures.data(), state: state).text
        #expect(top.contains("#7") && top.contains("#1"))
        state.log.selected = 2
        let selected = frame(Fixtures.data(), state: state).text
        #expect(selected.contains("> #5  ") && selected.contains("  #7  "), "the third row selected, all six fit")
    }

    @Test func runbookViewShowsTheCurrentPhasesRunbook() {
        var state = ConsoleState()
        state.view = .runbook
        let text = frame(Fixtures.data(), state: state).text
        #expect(text.contains("Runbook · read-new · checklist 1/2 ticked"))
        #expect(text.contains("> Read new") && text.contains("Reads go to the new store first."))
        #expect(text.contains("[x] miss rate below 5%  (bo)") && text.contains("[ ] no mismatches") && text.contains("## Checklist"))
    }

    @Test func aDatabaseProblemIsShownAboveTheFooter() {
        let screen = frame(Fixtures.data(), problem: "could not use x.db: locked")
        #expect(screen.lines[22].contains("database: could not use x.db: locked"))
    }

    @Test func chartScaleIsARoundNumber() {
        let text = frame(Fixtures.data()).text
        #expect(text.contains("  500│"), "peak 4.6 hit + 1 miss + ... per second rounds up to a 1-2-5 step")
    }
}
